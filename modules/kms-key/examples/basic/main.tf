# One customer-managed key for an application's log group, as the modules create it for their own logs.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
}

module "kms" {
  source = "../../"

  alias                   = "${local.name}-app-logs"
  description             = "Logs of application ${local.name}"
  log_group_names         = ["/ecs/${local.name}/app"]
  deletion_window_in_days = 7

  tags = {
    Example = local.name
  }
}

# The log group the key is for: CloudWatch Logs may use the key for this group only.
resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}/app"
  kms_key_id        = module.kms.key_arn
  retention_in_days = 365
}
