# One trail for the account, kept a year, archived after 90 days.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
}

module "audit" {
  source = "../../"

  name           = local.name
  retention_days = 365
}
