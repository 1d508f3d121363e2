# Reuse a VPC that already exists: only the lookups happen, the given subnets are passed through.
provider "aws" {
  region = "sa-east-1"
}

module "network" {
  source = "../../"

  name                        = "example-shared"
  existing_vpc_id             = "vpc-0123456789abcdef0"
  existing_public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  existing_private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
}

output "vpc_cidr_block" {
  description = "CIDR of the existing VPC."
  value       = module.network.vpc_cidr_block
}
