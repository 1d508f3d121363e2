# Pins issue 13 defects 2 and 6 on the load balancer: an HTTPS listener with a TLS 1.3 policy and HTTP
# redirected; behind CloudFront only its prefix list on 443 and only requests with the secret header.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name                    = "edu-test"
  vpc_id                  = "vpc-0123456789abcdef0"
  public_subnet_ids       = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids      = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  container_image         = "public.ecr.aws/nginx/nginx:stable"
  certificate_arn         = "arn:aws:acm:sa-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  ingress_prefix_list_ids = ["pl-3b927c52"]
  origin_verify_header    = { name = "X-Origin-Verify", value = "test-only-header-value" }
}

run "https_tls13_and_redirect" {
  command = plan

  assert {
    condition     = aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" && aws_lb_listener.https[0].protocol == "HTTPS"
    error_message = "The HTTPS listener uses a TLS 1.3 policy."
  }

  assert {
    condition     = one(aws_lb_listener.http[0].default_action).type == "redirect" && one(one(aws_lb_listener.http[0].default_action).redirect).protocol == "HTTPS"
    error_message = "HTTP redirects to HTTPS."
  }
}

run "only_cloudfront_with_the_header" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.alb) == 0 && aws_vpc_security_group_ingress_rule.alb_prefix_lists["pl-3b927c52"].from_port == 443
    error_message = "Behind CloudFront the load balancer admits only the prefix list, on 443."
  }

  assert {
    condition = [
      for condition in aws_lb_listener_rule.rolling[0].condition : one(condition.http_header).http_header_name if length(condition.http_header) > 0
    ] == ["X-Origin-Verify"]
    error_message = "The forwarding rule requires the secret origin header."
  }

  assert {
    condition     = one(one(aws_lb_listener.https[0].default_action).fixed_response).status_code == "403"
    error_message = "Requests without the header get 403."
  }
}

run "old_tls_policy_refused" {
  command = plan

  variables {
    ssl_policy = "ELBSecurityPolicy-2016-08"
  }

  expect_failures = [var.ssl_policy]
}

run "prefix_list_needs_https" {
  command = plan

  variables {
    certificate_arn = null
  }

  expect_failures = [aws_vpc_security_group_ingress_rule.alb_prefix_lists]
}
