# Seeds 003 (logs for every service): the load balancer's access logs go to the locked-down access-log bucket
# (private, TLS only, SSE-S3 as ELB requires), which lets ELB deliver under <prefix>/AWSLogs/<account>/ only:
# the regional ELB account (regions before August 2022) and the log delivery service (newer regions).
provider "aws" {
  region = "sa-east-1"
}

# A region opened after August 2022: no ELB account (the provider's aws_elb_service_account fails there with
# "unsupported ELB Service Account Region"), only the log delivery service.
provider "aws" {
  alias  = "newer_region"
  region = "eu-central-2"
}

variables {
  name_prefix               = "edu-platform-test"
  buckets                   = { uploads = {} }
  load_balancer_access_logs = true
}

run "elb_may_deliver_access_logs" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this["access-logs"].bucket == "edu-platform-test-access-logs" && one(one(aws_s3_bucket_server_side_encryption_configuration.this["access-logs"].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "the log bucket exists without any bucket asking for server access logs, encrypted with SSE-S3 (ELB delivers only there)"
  }

  assert {
    condition     = toset([for statement in data.aws_iam_policy_document.access_logs[0].statement : statement.sid if startswith(coalesce(statement.sid, "-"), "LoadBalancerAccessLogs")]) == toset(["LoadBalancerAccessLogsAccount", "LoadBalancerAccessLogsService"])
    error_message = "the bucket policy lets the ELB account and the log delivery service write the access logs"
  }

  assert {
    condition = [for statement in jsondecode(data.aws_iam_policy_document.bucket["access-logs"].json).Statement : statement.Sid] == [
      "LoadBalancerAccessLogsAccount", "LoadBalancerAccessLogsService", "S3ServerAccessLogs", "DenyInsecureTransport", "DenyOutdatedTls",
    ]
    error_message = "the log bucket's policy is its delivery statements, then the hardening of every bucket (TLS only, TLS 1.2 or newer)"
  }

  assert {
    condition     = aws_s3_bucket_versioning.this["access-logs"].versioning_configuration[0].status == "Disabled" && keys(output.bucket_names) == ["uploads"]
    error_message = "the log bucket stays unversioned and is not one of the application's buckets (bucket_names feeds its IAM policy)"
  }
}

run "no_log_bucket_by_default" {
  command = plan

  variables {
    load_balancer_access_logs = false
  }

  assert {
    condition     = keys(aws_s3_bucket.this) == ["uploads"] && output.load_balancer_access_log_bucket == null
    error_message = "without logged buckets or load balancer logs no log bucket is created (module default)"
  }
}

run "newer_regions_deliver_as_the_log_delivery_service_only" {
  command = plan

  providers = {
    aws = aws.newer_region
  }

  assert {
    condition     = length(data.aws_elb_service_account.this) == 0
    error_message = "no ELB account is looked up where ELB has none (the data source would fail the plan)"
  }

  assert {
    condition = [for statement in jsondecode(data.aws_iam_policy_document.bucket["access-logs"].json).Statement : statement.Sid] == [
      "LoadBalancerAccessLogsService", "S3ServerAccessLogs", "DenyInsecureTransport", "DenyOutdatedTls",
    ]
    error_message = "in a newer region the log bucket lets only the log delivery service write the load balancer's logs"
  }
}
