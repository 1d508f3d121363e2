################################################################################
# Domain and certificates
################################################################################

locals {
  cdn_enabled = var.cdn.enabled
  has_domain  = var.domain.name != null
  origin_name = local.has_domain ? coalesce(var.domain.origin_name, "origin.${var.domain.name}") : null

  lookup_alb_certificate        = local.has_domain && var.certificate_arn == null && var.domain.alb_certificate_arn == null
  lookup_cloudfront_certificate = local.cdn_enabled && local.has_domain && var.domain.cloudfront_certificate_arn == null

  alb_certificate_arn        = local.lookup_alb_certificate ? data.aws_acm_certificate.alb[0].arn : try(coalesce(var.certificate_arn, var.domain.alb_certificate_arn), null)
  cloudfront_certificate_arn = local.lookup_cloudfront_certificate ? data.aws_acm_certificate.cloudfront[0].arn : var.domain.cloudfront_certificate_arn

  # The header CloudFront adds and the load balancer's listener rule requires.
  origin_verify_header_name = "X-Origin-Verify"
}

# The load balancer's certificate, in its own region, for the name CloudFront connects to.
data "aws_acm_certificate" "alb" {
  count = local.lookup_alb_certificate ? 1 : 0

  domain      = local.origin_name
  statuses    = ["ISSUED"]
  most_recent = true
}

# CloudFront only uses certificates from us-east-1.
data "aws_acm_certificate" "cloudfront" {
  count    = local.lookup_cloudfront_certificate ? 1 : 0
  provider = aws.us_east_1

  domain      = var.domain.name
  statuses    = ["ISSUED"]
  most_recent = true
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
  count  = var.waf.enabled && local.cdn_enabled ? 1 : 0

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

  tags = local.tags
}

################################################################################
# CDN
################################################################################

# AWS managed policies: the load balancer serves dynamic content, so nothing is cached by default.
data "aws_cloudfront_cache_policy" "caching_disabled" {
  count = local.cdn_enabled ? 1 : 0

  name = "Managed-CachingDisabled"
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
  web_acl_id      = var.waf.enabled ? module.waf_cloudfront[0].web_acl_arn : null

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
