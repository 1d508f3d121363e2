# The monitoring module's database alarms moved from one resource per metric, keyed by DB instance, to one
# table keyed "<instance>:<metric>" (issue 26). A module cannot name its callers' instances in a moved block,
# so the root does, for the instances of envs/ when the move was made: an address not in a state is skipped.
# Instances created since have only the new addresses; modules/monitoring/README.md ("Upgrading") says how
# another caller moves its own.

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_connections["edu-platform-dev"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-dev:connections"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_free_storage["edu-platform-dev"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-dev:free-storage"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_connections["edu-platform-staging"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-staging:connections"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_free_storage["edu-platform-staging"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-staging:free-storage"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_connections["edu-platform-prod"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-prod:connections"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_free_storage["edu-platform-prod"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-prod:free-storage"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_connections["edu-platform-prod-replica-1"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-prod-replica-1:connections"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_free_storage["edu-platform-prod-replica-1"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-prod-replica-1:free-storage"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_connections["edu-platform-prod-replica-2"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-prod-replica-2:connections"]
}

moved {
  from = module.monitoring.aws_cloudwatch_metric_alarm.db_free_storage["edu-platform-prod-replica-2"]
  to   = module.monitoring.aws_cloudwatch_metric_alarm.this["edu-platform-prod-replica-2:free-storage"]
}

# The clients' security groups are made by the root before the data tier (issue 26 item 3), no longer inside the
# modules that run the clients.

moved {
  from = module.compute.aws_security_group.service[0]
  to   = aws_security_group.client["app"]
}

moved {
  from = module.migrations_runner[0].aws_security_group.this[0]
  to   = aws_security_group.client["migrations"]
}
