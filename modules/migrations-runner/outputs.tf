################################################################################
# Network
################################################################################

output "security_group_id" {
  description = "Security group of the function (allow it on the database's port)."
  value       = var.create ? local.security_group_id : null
}

################################################################################
# Logging and tracing
################################################################################

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

################################################################################
# IAM
################################################################################

output "role_arn" {
  description = "IAM role of the function."
  value       = try(aws_iam_role.this[0].arn, null)
}

################################################################################
# Function
################################################################################

output "function_name" {
  description = "Name of the migration runner Lambda function (toolkit db commands invoke it)."
  value       = try(aws_lambda_function.this[0].function_name, null)
}

output "function_arn" {
  description = "ARN of the migration runner Lambda function."
  value       = try(aws_lambda_function.this[0].arn, null)
}
