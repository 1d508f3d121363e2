# A production-like network: three AZs, one NAT gateway per AZ, S3 and Secrets Manager endpoints.
provider "aws" {
  region = "sa-east-1"
}

module "network" {
  source = "../../"

  name                    = "example-prod"
  vpc_cidr                = "10.20.0.0/16"
  availability_zone_count = 3
  single_nat_gateway      = false

  tags = {
    environment = "example"
  }
}

output "private_subnet_ids" {
  description = "Private subnets of the example VPC."
  value       = module.network.private_subnet_ids
}
