# The migration runner Lambda in private subnets, reaching Secrets Manager through its VPC endpoint.
provider "aws" {
  region = "sa-east-1"
}

module "migrations_runner" {
  source = "../../"

  name     = "example-dev-migrations"
  filename = "${path.module}/migrations-runner.zip"
  # Given explicitly so the example plans without the package on disk.
  source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

  vpc_id                                    = "vpc-0123456789abcdef0"
  subnet_ids                                = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  database_security_group_id                = "sg-0db00000000000000"
  secretsmanager_endpoint_security_group_id = "sg-0e000000000000000"
  database_secret_arn                       = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:rds!db-0000-AbCdEf"

  environment_variables = {
    DATABASE_HOST = "example-dev.abcdefghijkl.sa-east-1.rds.amazonaws.com"
  }
}

output "function_name" {
  description = "The Lambda to invoke."
  value       = module.migrations_runner.function_name
}
