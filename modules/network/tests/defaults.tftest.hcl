# The VPC with the module's defaults and with the production topology: public and private subnets per zone, NAT
# gateways (one shared, or one per zone so a zone failure does not cut the others off), flow logs kept
# log_retention_days. The zones come from override_data: the test does not depend on an account's zones.
provider "aws" {
  region = "sa-east-1"
}

override_data {
  target = data.aws_availability_zones.available
  values = {
    names = ["sa-east-1c", "sa-east-1a", "sa-east-1b"]
  }
}

variables {
  name = "edu-platform-test"
}

run "two_zones_one_nat_gateway" {
  command = plan

  assert {
    condition     = output.availability_zones == tolist(["sa-east-1a", "sa-east-1b"])
    error_message = "the first var.availability_zones zones in name order (module contract: zones added later sort last)"
  }

  assert {
    condition     = [for subnet in aws_subnet.public : subnet.cidr_block] == ["10.0.0.0/20", "10.0.16.0/20"] && [for subnet in aws_subnet.private : subnet.cidr_block] == ["10.0.128.0/20", "10.0.144.0/20"]
    error_message = "one public and one private /20 per zone, private from the VPC's upper half (network plan)"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route_table.private) == 1
    error_message = "single_nat_gateway shares one NAT gateway (cost plan: dev and staging)"
  }

  assert {
    condition     = alltrue([for subnet in aws_subnet.private : subnet.map_public_ip_on_launch != true])
    error_message = "private subnets give no public addresses (security plan)"
  }

  assert {
    condition     = aws_flow_log.this[0].traffic_type == "ALL" && aws_cloudwatch_log_group.flow_log[0].retention_in_days == var.log_retention_days
    error_message = "VPC flow logs record all traffic, kept var.log_retention_days days (security plan; monitoring plan: log retention)"
  }

  assert {
    condition     = length(aws_vpc_endpoint.s3) == 1 && length(aws_vpc_endpoint.secretsmanager) == 1
    error_message = "S3 and Secrets Manager are reached through VPC endpoints (security plan; the migration Lambda has no internet)"
  }
}

run "three_zones_nat_gateway_per_zone" {
  command = plan

  variables {
    availability_zones = 3
    single_nat_gateway = false
    log_retention_days = 90
  }

  assert {
    condition     = length(aws_subnet.private) == var.availability_zones && length(aws_subnet.public) == var.availability_zones
    error_message = "a public and a private subnet in each of var.availability_zones zones (sizing plan, production: 3 zones)"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == var.availability_zones && length(aws_route_table.private) == var.availability_zones
    error_message = "one NAT gateway and private route table per zone, so losing a zone does not cut the others off (architecture plan, production)"
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_log[0].retention_in_days == var.log_retention_days
    error_message = "flow logs are kept var.log_retention_days days (monitoring plan: log retention)"
  }
}

run "existing_vpc_creates_nothing" {
  command = plan

  variables {
    existing_vpc_id             = "vpc-0123456789abcdef0"
    existing_public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    existing_private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  }

  override_data {
    target = data.aws_vpc.existing[0]
    values = {
      id         = "vpc-0123456789abcdef0"
      cidr_block = "10.20.0.0/16"
    }
  }

  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_subnet.private) == 0 && length(aws_nat_gateway.this) == 0
    error_message = "with existing_vpc_id the module creates no VPC, subnets or NAT gateways (module contract)"
  }

  assert {
    condition     = output.vpc_id == var.existing_vpc_id && output.vpc_cidr_block == "10.20.0.0/16" && output.private_subnet_ids == var.existing_private_subnet_ids
    error_message = "the existing VPC, its CIDR and its subnets are passed through (module contract: existing_vpc_id)"
  }
}
