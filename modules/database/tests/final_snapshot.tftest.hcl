# Pins issue 13 defect 13: the final snapshot name is unique per database lifetime (a random suffix kept
# by the identifier), so a second destroy after a rebuild does not collide with the first one's snapshot.
provider "aws" {
  region = "sa-east-1"
}

override_resource {
  target          = random_id.final_snapshot[0]
  override_during = plan
  values = {
    hex = "0a1b2c3d"
  }
}

variables {
  name       = "edu-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
}

run "rds_suffix_kept_by_identifier" {
  command = plan

  assert {
    condition     = aws_db_instance.this[0].final_snapshot_identifier == "edu-test-final-0a1b2c3d"
    error_message = "The final snapshot identifier must carry the random suffix."
  }

  assert {
    condition     = random_id.final_snapshot[0].keepers == tomap({ identifier = "edu-test" })
    error_message = "The suffix must be renewed exactly when the identifier changes."
  }
}

run "aurora_suffix" {
  command = plan

  variables {
    engine_mode = "aurora-serverless"
  }

  assert {
    condition     = aws_rds_cluster.this[0].final_snapshot_identifier == "edu-test-final-0a1b2c3d"
    error_message = "The Aurora final snapshot identifier must carry the random suffix."
  }
}

run "no_suffix_when_skipped" {
  command = plan

  variables {
    skip_final_snapshot = true
  }

  assert {
    condition     = length(random_id.final_snapshot) == 0 && aws_db_instance.this[0].final_snapshot_identifier == null
    error_message = "Without a final snapshot there is no name to make unique."
  }
}
