# Seeds 003 (logs for every service): the load balancer's access logs go to the locked-down access-log bucket
# (private, TLS only, SSE-S3 as ELB requires), which lets ELB deliver under <prefix>/AWSLogs/<account>/ only:
# the regional ELB account (regions before August 2022) and the log delivery service (newer regions).
provider "aws" {
  region = "sa-east-1"
}

variables {
  name_prefix               = "edu-platform-test"
  buckets                   = { uploads = {} }
  load_balancer_access_logs = true
}

run "elb_may_deliver_access_logs" {
  command = plan

  assert {
    condition     = aws_s3_bucket.access_logs[0].bucket == "edu-platform-test-access-logs" && one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "the log bucket exists without any bucket asking for server access logs, encrypted with SSE-S3 (ELB delivers only there)"
  }

  assert {
    condition     = toset([for statement in data.aws_iam_policy_document.access_logs[0].statement : statement.sid if startswith(coalesce(statement.sid, "-"), "LoadBalancerAccessLogs")]) == toset(["LoadBalancerAccessLogsAccount", "LoadBalancerAccessLogsService"])
    error_message = "the bucket policy lets the ELB account and the log delivery service write the access logs"
  }
}

run "no_log_bucket_by_default" {
  command = plan

  variables {
    load_balancer_access_logs = false
  }

  assert {
    condition     = length(aws_s3_bucket.access_logs) == 0 && output.load_balancer_access_log_bucket == null
    error_message = "without logged buckets or load balancer logs no log bucket is created (module default)"
  }
}
