# Issue 22 defect 8: a fixed parameter group name could not be replaced while the replication group used it
# (a family or cluster-mode change failed with the group in use). The family and the cluster mode are part of
# the name, and the group is created before the old one is destroyed, so either change gets a new group first.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name       = "edu-platform-test"
  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

run "cluster_mode_off" {
  command = plan

  assert {
    condition     = aws_elasticache_parameter_group.this[0].name == "edu-platform-test-redis7-cluster-off" && aws_elasticache_parameter_group.this[0].family == "redis7"
    error_message = "the parameter group's name carries its family and cluster mode (a change of either is a new group)"
  }

  assert {
    condition     = aws_elasticache_replication_group.this[0].parameter_group_name == aws_elasticache_parameter_group.this[0].name
    error_message = "the replication group uses the module's parameter group"
  }
}

run "cluster_mode_on_is_another_group" {
  command = plan

  variables {
    replication = { cluster_mode = true, shards = 2, replicas_per_shard = 1 }
  }

  assert {
    condition     = aws_elasticache_parameter_group.this[0].name == "edu-platform-test-redis7-cluster-on"
    error_message = "turning cluster mode on names a new parameter group, created before the one in use is deleted"
  }
}
