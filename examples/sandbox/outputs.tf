output "ecs_cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "ecs_service_name" {
  description = "Name of the application's ECS service."
  value       = aws_ecs_service.app.name
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition the service runs."
  value       = aws_ecs_task_definition.app.arn
}

output "db_instance_identifier" {
  description = "Identifier of the PostgreSQL instance."
  value       = try(aws_db_instance.this[0].id, null)
}

output "db_parameter_group_name" {
  description = "Name of the instance's parameter group."
  value       = aws_db_parameter_group.this.name
}

output "bucket_names" {
  description = "Bucket names by their short name in storage.buckets."
  value       = { for key, bucket in aws_s3_bucket.this : key => bucket.bucket }
}
