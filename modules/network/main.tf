data "aws_region" "current" {}

data "aws_availability_zones" "available" {
  count = local.create_vpc && length(var.availability_zone_names) == 0 ? 1 : 0

  #checkov:skip=CKV_AWS_394:Only the first zones in name order are used, so a zone AWS adds later sorts last and never enters the set; availability_zone_names pins them explicitly.
  state = "available"
}

data "aws_vpc" "existing" {
  count = var.create && var.existing_vpc_id != null ? 1 : 0

  id = var.existing_vpc_id
}

locals {
  create_vpc = var.create && var.existing_vpc_id == null
  azs = !local.create_vpc ? [] : (
    length(var.availability_zone_names) > 0 ? var.availability_zone_names : slice(sort(data.aws_availability_zones.available[0].names), 0, var.availability_zones)
  )

  # Public subnets take the first /4 slices of the VPC, private subnets start at slice 8.
  public_subnet_cidrs  = [for index in range(length(local.azs)) : cidrsubnet(var.vpc_cidr, 4, index)]
  private_subnet_cidrs = [for index in range(length(local.azs)) : cidrsubnet(var.vpc_cidr, 4, index + 8)]

  nat_gateway_count = local.create_vpc && var.create_nat_gateway ? (var.single_nat_gateway ? 1 : length(local.azs)) : 0
  # One private route table per NAT gateway (or a single one without NAT).
  private_route_table_count = local.create_vpc ? max(local.nat_gateway_count, 1) : 0

  vpc_id         = local.create_vpc ? aws_vpc.this[0].id : try(data.aws_vpc.existing[0].id, null)
  vpc_cidr_block = local.create_vpc ? aws_vpc.this[0].cidr_block : try(data.aws_vpc.existing[0].cidr_block, null)
}

################################################################################
# VPC
################################################################################

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, var.vpc_tags, { Name = var.name })
}

# Take over the default security group and leave it without rules, so nothing can use it by accident.
resource "aws_default_security_group" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = merge(var.tags, { Name = "${var.name}-default-unused" })
}

resource "aws_internet_gateway" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_subnet" "public" {
  count = length(local.public_subnet_cidrs)

  vpc_id            = aws_vpc.this[0].id
  cidr_block        = local.public_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]
  # Only the load balancer and NAT gateways live here; both get their addresses explicitly.
  map_public_ip_on_launch = false

  tags = merge(var.tags, { Name = "${var.name}-public-${local.azs[count.index]}", Tier = "public" })
}

resource "aws_subnet" "private" {
  count = length(local.private_subnet_cidrs)

  vpc_id            = aws_vpc.this[0].id
  cidr_block        = local.private_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}", Tier = "private" })
}

resource "aws_route_table" "public" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  count = local.create_vpc ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

################################################################################
# NAT gateways
################################################################################

resource "aws_eip" "nat" {
  count = local.nat_gateway_count

  domain = "vpc"

  tags = merge(var.tags, { Name = "${var.name}-nat-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_gateway_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = merge(var.tags, { Name = "${var.name}-${local.azs[count.index]}" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  count = local.private_route_table_count

  vpc_id = aws_vpc.this[0].id

  tags = merge(var.tags, { Name = local.private_route_table_count == 1 ? "${var.name}-private" : "${var.name}-private-${local.azs[count.index]}" })
}

resource "aws_route" "private_nat" {
  count = local.nat_gateway_count

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[count.index].id
}

resource "aws_route_table_association" "private" {
  count = length(aws_subnet.private)

  subnet_id = aws_subnet.private[count.index].id
  # With a single NAT gateway every private subnet shares route table 0.
  route_table_id = aws_route_table.private[min(count.index, local.private_route_table_count - 1)].id
}

################################################################################
# VPC endpoints
################################################################################

resource "aws_vpc_endpoint" "s3" {
  count = local.create_vpc && var.create_s3_endpoint ? 1 : 0

  vpc_id            = aws_vpc.this[0].id
  service_name      = "com.amazonaws.${data.aws_region.current.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = merge(var.tags, { Name = "${var.name}-s3" })
}

resource "aws_security_group" "endpoints" {
  count = local.create_vpc && var.create_secretsmanager_endpoint ? 1 : 0

  name_prefix = "${var.name}-endpoints-"
  description = "Interface VPC endpoints of ${var.name}: HTTPS from inside the VPC"
  vpc_id      = aws_vpc.this[0].id

  tags = merge(var.tags, { Name = "${var.name}-endpoints" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  count = local.create_vpc && var.create_secretsmanager_endpoint ? 1 : 0

  security_group_id = aws_security_group.endpoints[0].id
  description       = "HTTPS from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this[0].cidr_block

  tags = var.tags
}

resource "aws_vpc_endpoint" "secretsmanager" {
  count = local.create_vpc && var.create_secretsmanager_endpoint ? 1 : 0

  vpc_id              = aws_vpc.this[0].id
  service_name        = "com.amazonaws.${data.aws_region.current.region}.secretsmanager"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.private[*].id
  security_group_ids  = [aws_security_group.endpoints[0].id]
  private_dns_enabled = true

  tags = merge(var.tags, { Name = "${var.name}-secretsmanager" })
}

################################################################################
# Flow logs
################################################################################

resource "aws_cloudwatch_log_group" "flow_log" {
  count = local.create_vpc && var.create_flow_log ? 1 : 0

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not needed for flow logs.
  #checkov:skip=CKV_AWS_158:The KMS key is an input (flow_log_kms_key_arn); without it CloudWatch Logs encrypts with its own key.
  name              = "/aws/vpc-flow-log/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.flow_log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "flow_log_assume" {
  count = local.create_vpc && var.create_flow_log ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "flow_log" {
  count = local.create_vpc && var.create_flow_log ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_log[0].arn}:*"]
  }
}

resource "aws_iam_role" "flow_log" {
  count = local.create_vpc && var.create_flow_log ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 24)}-flow-log-"
  assume_role_policy = data.aws_iam_policy_document.flow_log_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy" "flow_log" {
  count = local.create_vpc && var.create_flow_log ? 1 : 0

  name   = "write-flow-log"
  role   = aws_iam_role.flow_log[0].id
  policy = data.aws_iam_policy_document.flow_log[0].json
}

resource "aws_flow_log" "this" {
  count = local.create_vpc && var.create_flow_log ? 1 : 0

  vpc_id               = aws_vpc.this[0].id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_log[0].arn
  iam_role_arn         = aws_iam_role.flow_log[0].arn

  tags = var.tags
}
