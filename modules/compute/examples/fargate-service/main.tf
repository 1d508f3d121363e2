# A Fargate service behind an HTTPS load balancer, autoscaling 2-10 tasks, with the X-Ray sidecar.
provider "aws" {
  region = "sa-east-1"
}

module "compute" {
  source = "../../"

  name               = "example-app"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]

  container_image = "public.ecr.aws/nginx/nginx:stable"
  container_port  = 8080
  task_size = {
    cpu    = 1024
    memory = 2048
  }
  enable_xray = true

  environment = {
    REDIS_URL = "rediss://example.cache.amazonaws.com:6379"
  }
  secrets = {
    REDIS_AUTH_TOKEN = "arn:aws:secretsmanager:sa-east-1:123456789012:secret:example/redis-auth-token-AbCdEf"
  }

  certificate_arn = "arn:aws:acm:sa-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  min_capacity    = 2
  max_capacity    = 10
}

output "alb_dns_name" {
  description = "Load balancer DNS name."
  value       = module.compute.alb_dns_name
}
