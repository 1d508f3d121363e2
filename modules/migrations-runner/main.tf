data "aws_region" "current" {}

locals {
  log_group_name = "/aws/lambda/${var.name}"
  # The function's security group: the module's own, or the caller's (made before the database that lets it in).
  security_group_id = var.create_security_group ? try(aws_security_group.this[0].id, null) : var.security_group_id
}

################################################################################
# Network
################################################################################

resource "aws_security_group" "this" {
  count = var.create && var.create_security_group ? 1 : 0

  #checkov:skip=CKV2_AWS_5:Attached to the function through local.security_group_id (this group or the caller's), which checkov does not follow.

  name_prefix = "${var.name}-"
  description = "Migration runner ${var.name}: egress to the database and HTTPS to Secrets Manager only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "database" {
  count = var.create ? 1 : 0

  security_group_id            = local.security_group_id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = var.database_security_group_id

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.create_security_group || var.security_group_id != null
      error_message = "create_security_group = false needs security_group_id: the function's security group made by the caller."
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "secretsmanager_endpoint" {
  count = var.create && var.use_secretsmanager_endpoint ? 1 : 0

  security_group_id            = local.security_group_id
  description                  = "HTTPS to the Secrets Manager endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = var.secretsmanager_endpoint_security_group_id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = var.create && !var.use_secretsmanager_endpoint ? toset(var.https_egress_cidr_blocks) : toset([])

  security_group_id = local.security_group_id
  description       = "HTTPS to Secrets Manager"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value

  tags = var.tags
}

################################################################################
# Logging and tracing
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for migration logs.
  #checkov:skip=CKV_AWS_158:The KMS key is an input (log_kms_key_arn); without it CloudWatch Logs encrypts with its own key.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

################################################################################
# IAM
################################################################################

data "aws_iam_policy_document" "assume" {
  count = var.create ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_356:ENI management (ec2:*NetworkInterface*) and X-Ray writes support no resource-level permissions.
  #checkov:skip=CKV_AWS_111:ENI management for VPC Lambdas requires "*"; it is limited to the five network interface actions.
  statement {
    sid       = "ReadDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.database_secret_arn]
  }

  dynamic "statement" {
    for_each = var.database_secret_kms_key_arn != null ? [var.database_secret_kms_key_arn] : []

    content {
      sid       = "DecryptDatabaseSecret"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[0].arn}:*"]
  }

  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "VpcNetworkInterfaces"
    actions   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 30)}-"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  count = var.create ? 1 : 0

  name   = "run-migrations"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.this[0].json
}

################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_116:The toolkit invokes the runner synchronously and reads the result; a dead-letter queue would receive nothing.
  #checkov:skip=CKV_AWS_272:Code signing is not set up for the toolkit's packages; the package hash is pinned by source_code_hash.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secrets (only the secret's ARN); kms_key_arn encrypts them when set.
  function_name                  = var.name
  description                    = "Runs the toolkit's SQL migrations against the database"
  role                           = aws_iam_role.this[0].arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  filename                       = var.filename
  source_code_hash               = var.source_code_hash != null ? var.source_code_hash : filebase64sha256(var.filename)
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [local.security_group_id]
  }

  tracing_config {
    mode = var.tracing_mode
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this[0].name
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [var.environment_variables] : []

    content {
      variables = environment.value
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.use_secretsmanager_endpoint ? var.secretsmanager_endpoint_security_group_id != null : length(var.https_egress_cidr_blocks) > 0
      error_message = "The function needs HTTPS egress to Secrets Manager: secretsmanager_endpoint_security_group_id (use_secretsmanager_endpoint = true) or https_egress_cidr_blocks (false)."
    }
  }

  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}
