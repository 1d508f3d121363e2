output "vpc_id" {
  description = "The example VPC."
  value       = module.network.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets, one per AZ (for load balancers)."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets, one per AZ (for tasks, databases and caches)."
  value       = module.network.private_subnet_ids
}

output "nat_public_ips" {
  description = "The VPC's egress addresses, one NAT gateway per AZ."
  value       = module.network.nat_public_ips
}

output "flow_log_group_name" {
  description = "Log group receiving the VPC flow logs."
  value       = module.network.flow_log_group_name
}
