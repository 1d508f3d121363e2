output "alb_dns_name" {
  description = "Load balancer DNS name (http://)."
  value       = module.compute.alb_dns_name
}

output "cluster_name" {
  description = "The ECS cluster."
  value       = module.compute.cluster_name
}

output "service_name" {
  description = "The ECS service."
  value       = module.compute.service_name
}

output "service_security_group_id" {
  description = "The tasks' security group (allow it on the database and cache)."
  value       = module.compute.service_security_group_id
}

output "log_group_name" {
  description = "Log group of the containers."
  value       = module.compute.log_group_name
}
