# A Fargate service behind a load balancer in its own network, autoscaling 2-10 tasks, with the X-Ray sidecar
# and one secret injected at task start. HTTP only: give `certificate_arn` (an ACM certificate of your domain)
# for HTTPS, with HTTP redirecting to it.
provider "aws" {
  region = local.region
}

locals {
  name   = "ex-${basename(path.cwd)}"
  region = "sa-east-1"
}

module "network" {
  source = "../../../network"

  name     = local.name
  vpc_cidr = "10.50.0.0/16"
}

# A secret the tasks read at start (its value is set outside Terraform, never in a plan).
resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV_AWS_149:The example uses the aws/secretsmanager key; pass secrets_kms_key_arns with a customer-managed one.
  #checkov:skip=CKV2_AWS_57:An API key set by hand has no rotation Lambda in this example.
  name                    = "${local.name}/api-key"
  recovery_window_in_days = 0
}

module "compute" {
  source = "../../"

  name               = local.name
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids

  container_image = "public.ecr.aws/nginx/nginx:stable"
  container_port  = 8080
  task_size = {
    cpu        = 1024
    memory_mib = 2048
  }
  enable_xray = true

  environment = {
    APP_ENV = "example"
  }
  secrets = {
    API_KEY = aws_secretsmanager_secret.api_key.arn
  }

  min_tasks = 2
  max_tasks = 10
}
