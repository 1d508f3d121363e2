# The smallest cache for dev: one node, no failover, still encrypted with an AUTH token.
provider "aws" {
  region = "sa-east-1"
}

module "cache" {
  source = "../../"

  name      = "example-dev"
  node_type = "cache.t3.micro"

  vpc_id     = "vpc-0123456789abcdef0"
  subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]

  snapshot_retention_limit = 1
}

output "auth_token_secret_arn" {
  description = "Secret holding the AUTH token."
  value       = module.cache.auth_token_secret_arn
}
