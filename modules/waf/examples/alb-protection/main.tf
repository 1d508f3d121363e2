# A web ACL on a load balancer: Brazil only, 100 requests per IP per minute, AWS managed rules.
provider "aws" {
  region = "sa-east-1"
}

module "waf" {
  source = "../../"

  name                      = "example-prod"
  resource_arn              = "arn:aws:elasticloadbalancing:sa-east-1:123456789012:loadbalancer/app/example/0123456789abcdef"
  rate_limit                = 100
  rate_limit_window_seconds = 60
  allowed_countries         = ["BR"]
}

output "web_acl_arn" {
  description = "The web ACL."
  value       = module.waf.web_acl_arn
}
