# One customer-managed key for an application's log group, as the modules create it for their own logs.
provider "aws" {
  region = "sa-east-1"
}

module "kms" {
  source = "../../"

  alias                   = "example-dev-app-logs"
  description             = "Logs of application example-dev"
  log_group_names         = ["/ecs/example-dev/app"]
  deletion_window_in_days = 7

  tags = {
    Environment = "dev"
  }
}
