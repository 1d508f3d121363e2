output "web_acl_arn" {
  description = "The web ACL."
  value       = module.waf.web_acl_arn
}

output "web_acl_name" {
  description = "The web ACL's name (its CloudWatch metrics' WebACL dimension)."
  value       = module.waf.web_acl_name
}

output "alb_dns_name" {
  description = "The protected load balancer."
  value       = module.compute.alb_dns_name
}
