output "vpc_id" {
  description = "The existing VPC, passed through."
  value       = module.network.vpc_id
}

output "vpc_cidr_block" {
  description = "CIDR of the existing VPC."
  value       = module.network.vpc_cidr_block
}

output "private_subnet_ids" {
  description = "The given subnets, passed through for the other modules."
  value       = module.network.private_subnet_ids
}
