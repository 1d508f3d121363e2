# One trail for the account, kept a year, archived after 90 days.
provider "aws" {
  region = "sa-east-1"
}

module "audit" {
  source = "../../"

  name           = "example-prod"
  retention_days = 365
}

output "trail_arn" {
  description = "The trail."
  value       = module.audit.trail_arn
}
