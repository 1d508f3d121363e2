# A web ACL on a service's load balancer: Brazil only, 100 requests per IP per minute, AWS managed rules. The
# network and the load-balanced service are built here as the root module builds them.
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
  vpc_cidr = "10.70.0.0/16"
}

module "compute" {
  source = "../../../compute"

  name               = local.name
  vpc_id             = module.network.vpc_id
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids
  container_image    = "public.ecr.aws/nginx/nginx:stable"
}

module "waf" {
  source = "../../"

  name                      = local.name
  resource_arn              = module.compute.alb_arn
  rate_limit                = 100
  rate_limit_window_seconds = 60
  allowed_countries         = ["BR"]
}
