################################################################################
# CDN
################################################################################

# AWS managed policies: the load balancer serves dynamic content, so nothing is cached by default.
data "aws_cloudfront_cache_policy" "caching_disabled" {
  count = var.cdn.enabled ? 1 : 0

  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_origin_request_policy" "all_viewer" {
  count = var.cdn.enabled ? 1 : 0

  name = "Managed-AllViewer"
}

data "aws_cloudfront_response_headers_policy" "security_headers" {
  count = var.cdn.enabled ? 1 : 0

  name = "Managed-SecurityHeadersPolicy"
}

resource "aws_cloudfront_distribution" "this" {
  count = var.cdn.enabled ? 1 : 0

  #checkov:skip=CKV_AWS_68:The regional WAF protects the load balancer behind this distribution; a CLOUDFRONT-scope ACL must live in us-east-1.
  #checkov:skip=CKV2_AWS_47:Log4j inputs are blocked by the regional WAF (KnownBadInputs rule set) on the origin.
  #checkov:skip=CKV_AWS_86:Access logging needs a log bucket with ACLs; CloudFront standard logging v2 is left to a later change.
  #checkov:skip=CKV_AWS_310:A single load balancer origin; there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_305:The origin is an application, not a static site; it handles "/" itself.
  #checkov:skip=CKV_AWS_174:With the default CloudFront certificate the minimum protocol version cannot be set; add an ACM certificate for TLSv1.2_2021.
  #checkov:skip=CKV_AWS_374:Geo restriction is a whitelist of waf.allowed_countries; only an empty list turns it off.
  #checkov:skip=CKV2_AWS_42:No custom domain yet, so the default CloudFront certificate is used.
  enabled         = true
  comment         = "${local.name} application"
  is_ipv6_enabled = true
  price_class     = "PriceClass_All"
  http_version    = "http2and3"

  origin {
    origin_id   = "alb"
    domain_name = coalesce(var.cdn_origin_domain_name, module.compute.alb_dns_name)

    custom_origin_config {
      http_port  = 80
      https_port = 443
      # CloudFront checks the origin certificate against domain_name, which the load balancer's amazonaws.com name never matches.
      origin_protocol_policy = var.cdn_origin_domain_name != null ? "https-only" : "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = "alb"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.caching_disabled[0].id
    origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security_headers[0].id
  }

  restrictions {
    geo_restriction {
      restriction_type = length(var.waf.allowed_countries) > 0 ? "whitelist" : "none"
      locations        = var.waf.allowed_countries
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  tags = local.tags
}
