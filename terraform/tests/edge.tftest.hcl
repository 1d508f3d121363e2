# Pins issue 13 defects 2 and 6: with the CDN on, the WAF sits at the edge (CLOUDFRONT scope, us-east-1),
# the load balancer takes only CloudFront's origin-facing prefix list plus a secret header kept in Secrets
# Manager, CloudFront talks HTTPS to an origin name its certificate covers and does not forward the
# viewer's Host; with the CDN off the regional ACL stays on the load balancer. Issue 22 defect 11: with a
# hosted zone the certificates (DNS-validated) and alias records are created; without one, a precondition
# names what must exist first.
provider "aws" {
  region = "sa-east-1"
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

variables {
  environment = "edge"
  project     = "edu-platform"
  aws_region  = "sa-east-1"
  waf         = { enabled = true }
  cdn         = { enabled = true }
  domain      = { name = "app.example.com.br", hosted_zone = "example.com.br" }
}

run "cdn_on_edge_waf_and_locked_origin" {
  command = plan

  assert {
    condition     = length(module.waf) == 0 && length(module.waf_cloudfront) == 1
    error_message = "With the CDN on, the web ACL belongs to CloudFront (the regional one would only see edge addresses)."
  }

  assert {
    condition     = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].name == "Managed-AllViewerExceptHostHeader" && one(aws_cloudfront_distribution.this[0].default_cache_behavior).origin_request_policy_id == data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
    error_message = "CloudFront must use Managed-AllViewerExceptHostHeader (the viewer's Host breaks the HTTPS origin's certificate check)."
  }

  assert {
    condition = (one(aws_cloudfront_distribution.this[0].origin).domain_name == "origin.app.example.com.br"
    && one(one(aws_cloudfront_distribution.this[0].origin).custom_origin_config).origin_protocol_policy == "https-only")
    error_message = "CloudFront reaches the load balancer over HTTPS by origin.<domain>."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.this[0].default_cache_behavior).cache_policy_id == data.aws_cloudfront_cache_policy.caching_disabled[0].id && [for behavior in aws_cloudfront_distribution.this[0].ordered_cache_behavior : behavior.path_pattern] == ["/static/*", "/assets/*"] && alltrue([for behavior in aws_cloudfront_distribution.this[0].ordered_cache_behavior : behavior.cache_policy_id == data.aws_cloudfront_cache_policy.caching_optimized[0].id])
    error_message = "Static assets are cached at the edge, the API is not (sizing plan 003: CloudFront caches static assets)."
  }

  assert {
    condition     = [for header in one(aws_cloudfront_distribution.this[0].origin).custom_header : header.name] == ["X-Origin-Verify"]
    error_message = "CloudFront sends the secret origin header."
  }

  assert {
    condition     = one(aws_cloudfront_distribution.this[0].viewer_certificate).minimum_protocol_version == "TLSv1.2_2021" && aws_cloudfront_distribution.this[0].aliases == toset(["app.example.com.br"])
    error_message = "CloudFront serves the domain with its ACM certificate and a current TLS floor."
  }

  assert {
    condition     = aws_acm_certificate.cloudfront[0].domain_name == "app.example.com.br" && aws_acm_certificate.alb[0].domain_name == "origin.app.example.com.br"
    error_message = "Both certificates are created for their names (CloudFront's through the us-east-1 provider)."
  }

  assert {
    condition     = aws_acm_certificate.cloudfront[0].validation_method == "DNS" && length(aws_route53_record.certificate_validation) == 2
    error_message = "Both certificates are validated by DNS records in the hosted zone."
  }

  assert {
    condition     = aws_route53_record.alias["origin-A"].name == "origin.app.example.com.br" && aws_route53_record.alias["app-AAAA"].name == "app.example.com.br"
    error_message = "The hosted zone gets origin.<name> (the load balancer) and <name> (CloudFront, IPv4 and IPv6)."
  }

  assert {
    condition     = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing[0].name == "com.amazonaws.global.cloudfront.origin-facing"
    error_message = "The load balancer admits CloudFront's origin-facing prefix list."
  }

  assert {
    condition     = aws_secretsmanager_secret.origin_verify[0].recovery_window_in_days == 7 && random_password.origin_verify[0].length == 48
    error_message = "The header value is generated and kept in Secrets Manager."
  }

  assert {
    condition     = module.compute.uses_https
    error_message = "The load balancer listens on HTTPS with the created certificate."
  }
}

run "given_certificates_without_a_zone" {
  command = plan

  variables {
    domain = {
      name                       = "app.example.com.br"
      alb_certificate_arn        = "arn:aws:acm:sa-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000001"
      cloudfront_certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000002"
    }
  }

  assert {
    condition     = length(aws_acm_certificate.alb) == 0 && length(aws_route53_record.alias) == 0 && module.compute.uses_https
    error_message = "With given certificates nothing is created in DNS and the load balancer uses the given one."
  }
}

run "no_zone_and_no_certificates_refused" {
  command = plan

  variables {
    domain = { name = "app.example.com.br" }
  }

  expect_failures = [terraform_data.domain_prerequisites]
}

run "built_in_tag_apart_from_case_refused" {
  command = plan

  variables {
    tags = { environment = "edge" }
  }

  expect_failures = [var.tags]
}

run "cdn_off_regional_waf" {
  command = plan

  variables {
    cdn    = { enabled = false }
    domain = {}
  }

  assert {
    condition     = length(module.waf) == 1 && length(module.waf_cloudfront) == 0 && length(aws_cloudfront_distribution.this) == 0
    error_message = "Without the CDN the regional web ACL protects the load balancer."
  }
}

run "cdn_without_domain_refused" {
  command = plan

  variables {
    domain = {}
  }

  expect_failures = [aws_cloudfront_distribution.this]
}
