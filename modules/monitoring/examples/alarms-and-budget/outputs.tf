output "alarm_topic_arn" {
  description = "The alarm topic."
  value       = module.monitoring.alarm_topic_arn
}

output "alarm_names" {
  description = "Every alarm the module created (service, database per instance)."
  value       = module.monitoring.alarm_names
}
