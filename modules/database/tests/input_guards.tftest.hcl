# Pins issue 13 defects 12 and 14: values AWS rejects fail at the input, and an explicit null for a map
# or list input is caught at the input instead of failing deep inside a for_each or merge.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "performance_insights_retention_zero_refused" {
  command = plan

  variables {
    performance_insights                  = true
    performance_insights_retention_period = 0
  }

  expect_failures = [var.performance_insights_retention_period]
}

run "performance_insights_retention_month_accepted" {
  command = plan

  variables {
    performance_insights                  = true
    performance_insights_retention_period = 93
  }

  assert {
    condition     = aws_db_instance.this[0].performance_insights_retention_period == 93
    error_message = "Three months (93 days) is a retention AWS accepts."
  }
}

# nullable = false with a default: an explicit null takes the default instead of failing in for_each/merge.
run "null_map_inputs_take_their_defaults" {
  command = plan

  variables {
    allowed_security_group_ids = null
    parameters                 = null
    tags                       = null
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.clients) == 0
    error_message = "A null allowed_security_group_ids must mean no clients."
  }

  assert {
    condition     = [for parameter in aws_db_parameter_group.this[0].parameter : parameter.value if parameter.name == "rds.force_ssl"] == ["1"]
    error_message = "A null parameters map must still yield the module's rds.force_ssl."
  }
}
