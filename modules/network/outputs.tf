################################################################################
# VPC
################################################################################

output "vpc_id" {
  description = "ID of the VPC (created or existing)."
  value       = local.vpc_id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = local.vpc_cidr_block
}

output "availability_zones" {
  description = "Availability zones the created subnets span (empty with an existing VPC)."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per AZ."
  value       = local.create_vpc ? aws_subnet.public[*].id : var.existing_public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per AZ."
  value       = local.create_vpc ? aws_subnet.private[*].id : var.existing_private_subnet_ids
}

output "private_route_table_ids" {
  description = "IDs of the private route tables (empty with an existing VPC)."
  value       = aws_route_table.private[*].id
}

################################################################################
# NAT gateways
################################################################################

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Elastic IP addresses of the NAT gateways (the VPC's egress addresses)."
  value       = aws_eip.nat[*].public_ip
}

################################################################################
# VPC endpoints
################################################################################

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint, or null."
  value       = try(aws_vpc_endpoint.s3[0].id, null)
}

output "secretsmanager_endpoint_id" {
  description = "ID of the Secrets Manager interface endpoint, or null."
  value       = try(aws_vpc_endpoint.secretsmanager[0].id, null)
}

output "endpoint_security_group_id" {
  description = "Security group of the interface endpoints (clients need HTTPS egress to it), or null."
  value       = try(aws_security_group.endpoints[0].id, null)
}

################################################################################
# Flow logs
################################################################################

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group receiving VPC flow logs, or null."
  value       = try(aws_cloudwatch_log_group.flow_log[0].name, null)
}
