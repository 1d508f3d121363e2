################################################################################
# Domain and certificates
################################################################################

locals {
  cdn_enabled = var.cdn.enabled
  has_domain  = var.domain.name != null
  origin_name = local.has_domain ? coalesce(var.domain.origin_name, "origin.${var.domain.name}") : null

  # With a hosted zone this root creates both certificates (DNS-validated) and the alias records; without one, the
  # certificates must exist and be named (domain.*_certificate_arn, or certificate_arn for the load balancer).
  manage_dns                    = local.has_domain && var.domain.hosted_zone != null
  create_alb_certificate        = local.manage_dns && var.certificate_arn == null && var.domain.alb_certificate_arn == null
  create_cloudfront_certificate = local.manage_dns && local.cdn_enabled && var.domain.cloudfront_certificate_arn == null

  given_alb_certificate_arn = try(coalesce(var.certificate_arn, var.domain.alb_certificate_arn), null)
  alb_https                 = local.create_alb_certificate || local.given_alb_certificate_arn != null
  alb_certificate_arn       = local.create_alb_certificate ? aws_acm_certificate_validation.alb[0].certificate_arn : local.given_alb_certificate_arn
  cloudfront_certificate_arn = (local.create_cloudfront_certificate ? aws_acm_certificate_validation.cloudfront[0].certificate_arn
  : var.domain.cloudfront_certificate_arn)

  # What must exist before a plan when nothing here creates it (the precondition below names it).
  domain_prerequisites = local.has_domain ? join("; ", compact([
    local.alb_https ? "" : "an ISSUED ACM certificate for ${local.origin_name} in ${var.aws_region} (domain.alb_certificate_arn)",
    local.cdn_enabled && local.cloudfront_certificate_arn == null ? "an ISSUED ACM certificate for ${var.domain.name} in us-east-1 (domain.cloudfront_certificate_arn)" : "",
  ])) : ""

  # The header CloudFront adds and the load balancer's listener rule requires.
  origin_verify_header_name = "X-Origin-Verify"
}

data "aws_route53_zone" "this" {
  count = local.manage_dns ? 1 : 0

  name         = var.domain.hosted_zone
  private_zone = false

  lifecycle {
    postcondition {
      condition     = endswith(var.domain.name, ".${trimsuffix(self.name, ".")}") || var.domain.name == trimsuffix(self.name, ".")
      error_message = "domain.name must be inside domain.hosted_zone: its records are created there."
    }
  }
}

# Fails the plan, naming what is missing, instead of an apply that stops at the listener or the distribution.
resource "terraform_data" "domain_prerequisites" {
  count = local.has_domain ? 1 : 0

  input = local.domain_prerequisites

  lifecycle {
    precondition {
      condition     = local.domain_prerequisites == ""
      error_message = "domain.name is set without domain.hosted_zone, so nothing creates the certificates: create ${local.domain_prerequisites} and point ${local.origin_name} at the load balancer${local.cdn_enabled ? " and ${var.domain.name} at the distribution" : ""}; or set domain.hosted_zone to let this root create them."
    }
  }
}

# The load balancer's certificate, in its own region, for the name CloudFront (or the viewer) connects to.
resource "aws_acm_certificate" "alb" {
  count = local.create_alb_certificate ? 1 : 0

  domain_name       = local.cdn_enabled ? local.origin_name : var.domain.name
  validation_method = "DNS"

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# CloudFront only uses certificates from us-east-1.
resource "aws_acm_certificate" "cloudfront" {
  count    = local.create_cloudfront_certificate ? 1 : 0
  provider = aws.us_east_1

  domain_name       = var.domain.name
  validation_method = "DNS"

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  certificate_validation_options = concat(flatten(aws_acm_certificate.alb[*].domain_validation_options), flatten(aws_acm_certificate.cloudfront[*].domain_validation_options))
  certificate_domains            = concat(local.create_alb_certificate ? [local.cdn_enabled ? local.origin_name : var.domain.name] : [], local.create_cloudfront_certificate ? [var.domain.name] : [])
}

resource "aws_route53_record" "certificate_validation" {
  # Keyed by the certificate's domain (known at plan time), not by the record name ACM returns after apply.
  for_each = toset(local.certificate_domains)

  zone_id         = data.aws_route53_zone.this[0].zone_id
  name            = one([for option in local.certificate_validation_options : option.resource_record_name if option.domain_name == each.key])
  type            = one([for option in local.certificate_validation_options : option.resource_record_type if option.domain_name == each.key])
  records         = [one([for option in local.certificate_validation_options : option.resource_record_value if option.domain_name == each.key])]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "alb" {
  count = local.create_alb_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.alb[0].arn
  validation_record_fqdns = [aws_route53_record.certificate_validation[local.cdn_enabled ? local.origin_name : var.domain.name].fqdn]
}

resource "aws_acm_certificate_validation" "cloudfront" {
  count    = local.create_cloudfront_certificate ? 1 : 0
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.cloudfront[0].arn
  validation_record_fqdns = [aws_route53_record.certificate_validation[var.domain.name].fqdn]
}

# The public name: CloudFront with the CDN on, the load balancer otherwise; origin.<name> is the load balancer.
resource "aws_route53_record" "alias" {
  for_each = local.manage_dns ? merge(
    # The load balancer is IPv4-only; the distribution also answers on IPv6 (is_ipv6_enabled).
    local.cdn_enabled ? { origin-A = { name = local.origin_name, type = "A", target = "alb" } } : {},
    { for type in(local.cdn_enabled ? ["A", "AAAA"] : ["A"]) : "app-${type}" => { name = var.domain.name, type = type, target = local.cdn_enabled ? "cloudfront" : "alb" } },
  ) : {}

  zone_id = data.aws_route53_zone.this[0].zone_id
  name    = each.value.name
  type    = each.value.type

  alias {
    name                   = each.value.target == "cloudfront" ? aws_cloudfront_distribution.this[0].domain_name : module.compute.alb_dns_name
    zone_id                = each.value.target == "cloudfront" ? aws_cloudfront_distribution.this[0].hosted_zone_id : module.compute.alb_zone_id
    evaluate_target_health = each.value.target == "alb"
  }
}

################################################################################
# Origin protection
################################################################################

# CloudFront's origin-facing addresses: the load balancer accepts nothing else when the CDN is on.
data "aws_ec2_managed_prefix_list" "cloudfront_origin_facing" {
  count = local.cdn_enabled ? 1 : 0

  name = "com.amazonaws.global.cloudfront.origin-facing"
}

# A secret header proves a request came through this distribution (the prefix list admits every
# CloudFront distribution). Generated, kept in Secrets Manager, sensitive in plans.
resource "random_password" "origin_verify" {
  count = local.cdn_enabled ? 1 : 0

  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "origin_verify" {
  count = local.cdn_enabled ? 1 : 0

  #checkov:skip=CKV2_AWS_57:Rotated by replacing random_password (terraform apply -replace), which updates CloudFront and the listener rule together.
  #checkov:skip=CKV_AWS_149:The header value is not a credential to data; the aws/secretsmanager key suffices.
  name_prefix             = "${local.name}/cloudfront-origin-verify-"
  description             = "Value of the ${local.origin_verify_header_name} header CloudFront sends to the load balancer of ${local.name}"
  recovery_window_in_days = 7

  tags = local.tags
}

resource "aws_secretsmanager_secret_version" "origin_verify" {
  count = local.cdn_enabled ? 1 : 0

  secret_id     = aws_secretsmanager_secret.origin_verify[0].id
  secret_string = random_password.origin_verify[0].result
}

################################################################################
# WAF at the edge
################################################################################

# Behind CloudFront the regional ACL would rate-limit and geo-match CloudFront's edge addresses; the
# CLOUDFRONT-scope ACL sees the viewers' own addresses.
module "waf_cloudfront" {
  source = "../modules/waf"
  count  = local.waf_at_edge ? 1 : 0

  providers = {
    aws = aws.us_east_1
  }

  name                      = "${local.name}-edge"
  scope                     = "CLOUDFRONT"
  create_association        = false
  rate_limit                = var.waf.rate_limit
  rate_limit_window_seconds = var.waf.rate_limit_window_seconds
  allowed_countries         = var.waf.allowed_countries
  log_retention_days        = var.monitoring.log_retention_days
  log_kms_key_arn           = module.edge_logs_kms[0].key_arn

  tags = local.tags
}

################################################################################
# CDN
################################################################################

# AWS managed policies: the load balancer serves dynamic content, so nothing is cached by default (API paths
# stay uncached); the static paths (cdn.static_path_patterns) are cached at the edge (sizing plan 003).
data "aws_cloudfront_cache_policy" "caching_disabled" {
  count = local.cdn_enabled ? 1 : 0

  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_cache_policy" "caching_optimized" {
  count = local.cdn_enabled && length(var.cdn.static_path_patterns) > 0 ? 1 : 0

  name = "Managed-CachingOptimized"
}

# Everything from the viewer except Host: CloudFront sends the origin's own name, which its certificate
# covers (forwarding the viewer's Host would fail the HTTPS origin's certificate check).
data "aws_cloudfront_origin_request_policy" "all_viewer_except_host" {
  count = local.cdn_enabled ? 1 : 0

  name = "Managed-AllViewerExceptHostHeader"
}

data "aws_cloudfront_response_headers_policy" "security_headers" {
  count = local.cdn_enabled ? 1 : 0

  name = "Managed-SecurityHeadersPolicy"
}

resource "aws_cloudfront_distribution" "this" {
  count = local.cdn_enabled ? 1 : 0

  #checkov:skip=CKV2_AWS_47:Log4j inputs are blocked by the edge WAF's KnownBadInputs rule set (waf.enabled).
  #checkov:skip=CKV_AWS_86:Access logging needs a log bucket with ACLs; CloudFront standard logging v2 is left to a later change.
  #checkov:skip=CKV_AWS_310:A single load balancer origin; there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_305:The origin is an application, not a static site; it handles "/" itself.
  #checkov:skip=CKV_AWS_374:Geo restriction is a whitelist of waf.allowed_countries; only an empty list turns it off.
  #checkov:skip=CKV_AWS_68:The edge web ACL is attached whenever waf.enabled (prod); environments without WAF run without it by choice.
  enabled         = true
  comment         = "${local.name} application"
  is_ipv6_enabled = true
  price_class     = "PriceClass_All"
  http_version    = "http2and3"
  aliases         = [var.domain.name]
  web_acl_id      = local.waf_at_edge ? module.waf_cloudfront[0].web_acl_arn : null

  origin {
    origin_id   = "alb"
    domain_name = local.origin_name

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }

    custom_header {
      name  = local.origin_verify_header_name
      value = random_password.origin_verify[0].result
    }
  }

  default_cache_behavior {
    target_origin_id           = "alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled[0].id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_except_host[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
  }

  # Static assets: cached by CloudFront (the origin's Cache-Control within the managed policy's bounds), no
  # cookies or query strings in the key, read-only methods.
  dynamic "ordered_cache_behavior" {
    for_each = var.cdn.static_path_patterns

    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = "alb"
      viewer_protocol_policy     = "redirect-to-https"
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = data.aws_cloudfront_cache_policy.caching_optimized[0].id
      response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = length(var.waf.allowed_countries) > 0 ? "whitelist" : "none"
      locations        = var.waf.allowed_countries
    }
  }

  viewer_certificate {
    acm_certificate_arn      = local.cloudfront_certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = local.has_domain
      error_message = "cdn.enabled needs domain.name: CloudFront reaches the load balancer over HTTPS by a name its certificate covers (domain.origin_name, default origin.<name>)."
    }
  }
}
