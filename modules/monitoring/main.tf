data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  region         = data.aws_region.current.region
  create_kms_key = var.create && var.create_kms_key && var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? module.kms.key_arn : var.kms_key_arn
  topic_arns     = var.create ? [aws_sns_topic.this[0].arn] : []

  metric_namespace = "${var.name}/Application"
  app_metrics      = var.app_metrics
  app_namespace    = coalesce(var.app_metrics.namespace, local.metric_namespace)

  create_alb_alarms = var.create && var.create_alb_alarms
  create_slow_query = var.create && var.create_slow_query_alarm && length(var.db_log_group_names) > 0

  # A metric math alarm may hold 10 metrics: two per node (hits, misses), so nodes are watched in groups of five.
  cache_node_groups = var.create ? { for index, ids in chunklist(var.cache_member_cluster_ids, 5) : format("nodes-%d-%d", index * 5 + 1, index * 5 + length(ids)) => ids } : {}
}

################################################################################
# Alarm topic
################################################################################

module "kms" {
  source = "../kms-key"

  create      = local.create_kms_key
  alias       = "${var.name}-alarms"
  description = "Alarm topic and log groups of ${var.name}"
  # The log groups this module creates are encrypted with the key too.
  log_group_names = [for group in values(var.log_groups) : group.name]

  # CloudWatch alarms and Budgets publish to the encrypted topic, so they need the data key (SNS developer
  # guide, "compatibility with AWS services"); only on behalf of this account.
  service_statements = [{
    sid      = "AlarmPublishers"
    services = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]
    actions  = ["kms:Decrypt", "kms:GenerateDataKey*"]
    conditions = [{
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }]
    }, {
    # EventBridge (ElastiCache events) as AWS documents it for encrypted SNS targets, bound to this topic by the
    # encryption context SNS uses rather than a source-account key EventBridge may not send.
    sid      = "EventBridgePublisher"
    services = ["events.amazonaws.com"]
    actions  = ["kms:Decrypt", "kms:GenerateDataKey*"]
    conditions = [{
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = ["arn:${data.aws_partition.current.partition}:sns:${local.region}:${data.aws_caller_identity.current.account_id}:${var.name}-alarms"]
    }]
  }]

  tags = var.tags
}

resource "aws_sns_topic" "this" {
  count = var.create ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = local.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "topic" {
  count = var.create ? 1 : 0

  statement {
    sid       = "AccountOwner"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmPublishers"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  count = var.create ? 1 : 0

  arn    = aws_sns_topic.this[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.create ? toset(var.alarm_emails) : toset([])

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "other" {
  for_each = var.create ? { for subscription in var.alarm_subscriptions : "${subscription.protocol}:${subscription.endpoint}" => subscription } : {}

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}

################################################################################
# ElastiCache events
################################################################################

# ElastiCache's notification_topic_arn cannot publish to a KMS-encrypted topic (AWS: the topic must not be
# encrypted; its status turns inactive), while EventBridge can, given the key statement above. ElastiCache sends
# these events to EventBridge directly (EventBridge events reference, "Amazon ElastiCache events").
locals {
  cache_event_types = ["Cache Creation Failed", "Cache Update Failed", "Cache Limit Approaching", "Snapshot Creation Failed", "Snapshot Export Failed", "Snapshot Copy Failed"]
}

resource "aws_cloudwatch_event_rule" "cache_events" {
  count = var.create && var.forward_cache_events ? 1 : 0

  name        = "${substr(var.name, 0, 50)}-cache-events"
  description = "ElastiCache failure and limit events to the alarm topic of ${var.name}"
  event_pattern = jsonencode({
    source        = ["aws.elasticache"]
    "detail-type" = local.cache_event_types
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "cache_events" {
  count = var.create && var.forward_cache_events ? 1 : 0

  rule      = aws_cloudwatch_event_rule.cache_events[0].name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.this[0].arn
}

################################################################################
# Log groups
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.create ? var.log_groups : {}

  #checkov:skip=CKV_AWS_338:Retention is set per environment (log_retention_days); one year is not required for application logs.
  name              = each.value.name
  retention_in_days = coalesce(each.value.retention_days, var.log_retention_days)
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

################################################################################
# Database logs
################################################################################

# Two metrics counted from the postgresql log of every instance (primary, replicas) or of the Aurora cluster:
# - slow statements: log_min_duration_statement writes "duration: N ms  statement: ..." for every statement
#   slower than it, so with log_min_duration_statement = slow_query_seconds * 1000 each line is one;
# - deadlocks: PostgreSQL logs "ERROR:  deadlock detected" for every deadlock it breaks.
locals {
  db_log_metrics = local.create_slow_query ? {
    slow-queries = {
      metric      = "SlowQueries"
      pattern     = "\"duration:\""
      threshold   = var.slow_query_threshold
      description = "More than ${var.slow_query_threshold} statements slower than ${var.slow_query_seconds} s logged in 5 minutes."
    }
    deadlocks = {
      metric      = "Deadlocks"
      pattern     = "\"deadlock detected\""
      threshold   = var.deadlock_threshold
      description = "More than ${var.deadlock_threshold} deadlocks logged in 5 minutes."
    }
  } : {}
  db_log_filters = {
    for pair in setproduct(keys(local.db_log_metrics), sort(var.db_log_group_names)) : "${pair[0]} ${pair[1]}" => {
      metric    = pair[0]
      log_group = pair[1]
    }
  }
}

resource "aws_cloudwatch_log_metric_filter" "db_logs" {
  for_each = local.db_log_filters

  name           = "${var.name}-${each.value.metric}"
  log_group_name = each.value.log_group
  pattern        = local.db_log_metrics[each.value.metric].pattern

  metric_transformation {
    name          = local.db_log_metrics[each.value.metric].metric
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }

  lifecycle {
    precondition {
      condition     = var.db_log_min_duration_ms == null || var.db_log_min_duration_ms == var.slow_query_seconds * 1000
      error_message = "The database's log_min_duration_statement (${coalesce(var.db_log_min_duration_ms, -1)} ms) must equal slow_query_seconds * 1000 (${var.slow_query_seconds * 1000} ms): the slow-query alarm counts every logged duration."
    }
  }
}

################################################################################
# Alarms
################################################################################

# Every alarm is a row of one of three tables, and one resource creates them all. A row says whether the alarm
# is created and holds either one metric (namespace, metric_name, dimensions, statistic or extended_statistic,
# period) or metric math: `math` (the expression the alarm watches) and `queries` (the metrics it reads, id =>
# namespace, metric_name, dimensions, period, stat). Keys: the service table's are the alarm names after
# "<name>-", the database table's "<instance>:<metric>", the cache table's the node group ("nodes-1-5").
locals {
  alb_dimensions = { LoadBalancer = var.alb_arn_suffix }
  # The 5xx rate (per minute) and the availability (per 5 minutes) read the same three load balancer counts.
  alb_5xx_counts = { target_5xx = "HTTPCode_Target_5XX_Count", elb_5xx = "HTTPCode_ELB_5XX_Count", requests = "RequestCount" }
  alb_5xx_queries = { for period in [60, 300] : tostring(period) => {
    for id, metric in local.alb_5xx_counts : id => { namespace = "AWS/ApplicationELB", metric_name = metric, dimensions = local.alb_dimensions, period = period, stat = "Sum" }
  } }

  service_alarms = { for key, alarm in merge({
    alb-latency-p95 = {
      create              = local.create_alb_alarms
      description         = "p95 target response time above ${var.latency_p95_ms} ms for 3 of 5 minutes."
      namespace           = "AWS/ApplicationELB"
      metric_name         = "TargetResponseTime"
      dimensions          = local.alb_dimensions
      extended_statistic  = "p95"
      period              = 60
      evaluation_periods  = 5
      datapoints_to_alarm = 3
      comparison_operator = "GreaterThanThreshold"
      threshold           = var.latency_p95_ms / 1000
      treat_missing_data  = "notBreaching"
    }
    alb-5xx-rate = {
      create              = local.create_alb_alarms
      description         = "5xx responses above ${var.http_5xx_rate_max_percent}% of requests for 3 of 5 minutes."
      math                = { id = "error_rate", expression = "100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / requests", label = "5xx rate (%)" }
      queries             = local.alb_5xx_queries["60"]
      evaluation_periods  = 5
      datapoints_to_alarm = 3
      comparison_operator = "GreaterThanThreshold"
      threshold           = var.http_5xx_rate_max_percent
      treat_missing_data  = "notBreaching"
    }
    availability = {
      create              = local.create_alb_alarms
      description         = "Availability (requests answered without 5xx) below ${var.availability_min_percent}% over 5 minutes."
      math                = { id = "availability", expression = "100 - 100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / requests", label = "Availability (%)" }
      queries             = local.alb_5xx_queries["300"]
      evaluation_periods  = 1
      comparison_operator = "LessThanThreshold"
      threshold           = var.availability_min_percent
      # A full outage (nothing reaches the load balancer's targets) shows as missing data, not as 5xx.
      treat_missing_data = "breaching"
    }
    # Healthy targets summed over the target groups (blue/green swaps which one serves; the idle one reports
    # nothing, hence FILL): fewer than min_healthy_hosts, or no data at all, is an outage.
    healthy-hosts = {
      create              = local.create_alb_alarms && length(var.target_group_arn_suffixes) > 0
      description         = "Fewer than ${var.min_healthy_hosts} healthy targets behind the load balancer for 2 minutes (missing data counts as none)."
      math                = { id = "healthy", expression = join(" + ", [for key in sort(keys(var.target_group_arn_suffixes)) : "FILL(${key}, 0)"]), label = "Healthy targets" }
      queries             = { for id, suffix in var.target_group_arn_suffixes : id => { namespace = "AWS/ApplicationELB", metric_name = "HealthyHostCount", dimensions = merge(local.alb_dimensions, { TargetGroup = suffix }), period = 60, stat = "Minimum" } }
      evaluation_periods  = 2
      comparison_operator = "LessThanThreshold"
      threshold           = var.min_healthy_hosts
      treat_missing_data  = "breaching"
    }
    # Container Insights' running task count: a service that cannot keep a task running is down even when the
    # load balancer has nothing to say about it.
    running-tasks = {
      create              = var.ecs_cluster_name != null
      description         = "Fewer than ${var.min_tasks} running tasks in ${coalesce(var.ecs_service_name, "-")} for 2 minutes (missing data counts as none)."
      namespace           = "ECS/ContainerInsights"
      metric_name         = "RunningTaskCount"
      dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = var.ecs_service_name }
      statistic           = "Minimum"
      period              = 60
      evaluation_periods  = 2
      comparison_operator = "LessThanThreshold"
      threshold           = var.min_tasks
      treat_missing_data  = "breaching"
    }
    }, { for key, log in local.db_log_metrics : "db-${key}" => {
      create              = true
      description         = log.description
      namespace           = local.metric_namespace
      metric_name         = log.metric
      statistic           = "Sum"
      period              = 300
      evaluation_periods  = 1
      comparison_operator = "GreaterThanThreshold"
      threshold           = log.threshold
      treat_missing_data  = "notBreaching"
  } }) : key => merge({ alarm_name = "${var.name}-${key}" }, alarm) }

  # Per DB instance: connections near max_connections and free disk (RDS: of the allocation; Aurora: local storage).
  database_alarms = merge([for instance in distinct(var.db_instance_identifiers) : { for metric, alarm in {
    connections = {
      create              = var.db_max_connections != null
      description         = "Connections on ${instance} above ${var.db_connections_max_percent}% of max_connections (${coalesce(var.db_max_connections, 0)})."
      metric_name         = "DatabaseConnections"
      statistic           = "Maximum"
      period              = 60
      evaluation_periods  = 5
      datapoints_to_alarm = 3
      comparison_operator = "GreaterThanThreshold"
      threshold           = floor(coalesce(var.db_max_connections, 0) * var.db_connections_max_percent / 100)
    }
    free-storage = {
      create              = var.db_engine_mode == "rds" && var.db_allocated_storage_gb != null
      description         = "Free storage on ${instance} below ${var.db_free_storage_min_percent}% of the allocated ${coalesce(var.db_allocated_storage_gb, 0)} GiB."
      metric_name         = "FreeStorageSpace"
      statistic           = "Minimum"
      period              = 300
      evaluation_periods  = 2
      comparison_operator = "LessThanThreshold"
      threshold           = coalesce(var.db_allocated_storage_gb, 0) * 1073741824 * var.db_free_storage_min_percent / 100
    }
    free-local-storage = {
      create              = var.db_engine_mode == "aurora-serverless"
      description         = "Free local storage (temporary files, sorts) on Aurora instance ${instance} below ${var.db_free_local_storage_min_gb} GiB."
      metric_name         = "FreeLocalStorage"
      statistic           = "Minimum"
      period              = 300
      evaluation_periods  = 2
      comparison_operator = "LessThanThreshold"
      threshold           = var.db_free_local_storage_min_gb * 1073741824
    }
    } : "${instance}:${metric}" => merge({
      alarm_name         = "${instance}-${metric}"
      namespace          = "AWS/RDS"
      dimensions         = { DBInstanceIdentifier = instance }
      treat_missing_data = "missing"
  }, alarm) }]...)

  # Hit rate per group of up to five nodes: CacheHits / (CacheHits + CacheMisses), two metrics a node.
  cache_alarms = { for group, ids in local.cache_node_groups : group => {
    create              = true
    alarm_name          = "${var.name}-cache-hit-rate-${group}"
    description         = "Cache hit rate of ${join(", ", ids)} below ${var.cache_hit_rate_min_percent}% for 3 of 3 five-minute periods."
    math                = { id = "hit_rate", expression = "100 * (${join(" + ", [for index in range(length(ids)) : "FILL(hits_${index}, 0)"])}) / (${join(" + ", [for index in range(length(ids)) : "FILL(hits_${index}, 0) + FILL(misses_${index}, 0)"])})", label = "Cache hit rate (%)" }
    queries             = merge([for index, id in ids : { for prefix, metric in { hits = "CacheHits", misses = "CacheMisses" } : "${prefix}_${index}" => { namespace = "AWS/ElastiCache", metric_name = metric, dimensions = { CacheClusterId = id }, period = 300, stat = "Sum" } }]...)
    evaluation_periods  = 3
    comparison_operator = "LessThanThreshold"
    threshold           = var.cache_hit_rate_min_percent
    treat_missing_data  = "notBreaching"
  } }

  # What a row leaves out is not set on the alarm.
  alarm_defaults = { namespace = null, metric_name = null, dimensions = null, statistic = null, extended_statistic = null, period = null, datapoints_to_alarm = null, math = null, queries = {} }
  alarms         = { for key, alarm in merge(local.service_alarms, local.database_alarms, local.cache_alarms) : key => merge(local.alarm_defaults, alarm) if var.create && alarm.create }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = each.value.alarm_name
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints_to_alarm
  comparison_operator = each.value.comparison_operator
  threshold           = each.value.threshold
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = local.topic_arns
  ok_actions          = local.topic_arns

  dynamic "metric_query" {
    for_each = each.value.math == null ? [] : [each.value.math]

    content {
      id          = metric_query.value.id
      expression  = metric_query.value.expression
      label       = metric_query.value.label
      return_data = true
    }
  }

  dynamic "metric_query" {
    for_each = each.value.queries

    content {
      id = metric_query.key

      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric_name
        dimensions  = metric_query.value.dimensions
        period      = metric_query.value.period
        stat        = metric_query.value.stat
      }
    }
  }

  tags = var.tags

  # The log alarms' metrics exist once their filters do.
  depends_on = [aws_cloudwatch_log_metric_filter.db_logs]
}

# Alarms of earlier versions keep their state (and history) at their new keys. The database alarms were keyed by
# instance identifier, an input a moved block here cannot name: callers move them (README, "Upgrading"), as this
# repository's root does for its environments' instances (terraform/moved.tf).
moved {
  from = aws_cloudwatch_metric_alarm.latency_p95[0]
  to   = aws_cloudwatch_metric_alarm.this["alb-latency-p95"]
}

moved {
  from = aws_cloudwatch_metric_alarm.http_5xx_rate[0]
  to   = aws_cloudwatch_metric_alarm.this["alb-5xx-rate"]
}

moved {
  from = aws_cloudwatch_metric_alarm.availability[0]
  to   = aws_cloudwatch_metric_alarm.this["availability"]
}

moved {
  from = aws_cloudwatch_metric_alarm.healthy_hosts[0]
  to   = aws_cloudwatch_metric_alarm.this["healthy-hosts"]
}

moved {
  from = aws_cloudwatch_metric_alarm.running_tasks[0]
  to   = aws_cloudwatch_metric_alarm.this["running-tasks"]
}

moved {
  from = aws_cloudwatch_metric_alarm.slow_queries[0]
  to   = aws_cloudwatch_metric_alarm.db_logs["slow-queries"]
}

moved {
  from = aws_cloudwatch_metric_alarm.db_logs["slow-queries"]
  to   = aws_cloudwatch_metric_alarm.this["db-slow-queries"]
}

moved {
  from = aws_cloudwatch_metric_alarm.db_logs["deadlocks"]
  to   = aws_cloudwatch_metric_alarm.this["db-deadlocks"]
}

# The cache table keeps the node-group keys, so the whole resource moves, whichever groups a cluster has.
moved {
  from = aws_cloudwatch_metric_alarm.cache_hit_rate
  to   = aws_cloudwatch_metric_alarm.this
}

################################################################################
# Dashboard
################################################################################

locals {
  ecs_widgets = var.ecs_cluster_name == null ? [] : [{
    type   = "metric"
    width  = 12
    height = 6
    properties = {
      title  = "ECS service CPU and memory (%)"
      region = local.region
      stat   = "Average"
      period = 60
      metrics = [
        ["AWS/ECS", "CPUUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", var.ecs_service_name],
        ["AWS/ECS", "MemoryUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", var.ecs_service_name],
      ]
    }
  }]

  # A conditional needs both results of one type: `cond ? [] : [a, b]` fails when a and b differ in shape
  # (a tuple, not a list), so widget groups of mixed shapes are filtered with `if` instead.
  alb_widgets = [for widget in [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title       = "ALB p95 latency (s)"
        region      = local.region
        period      = 60
        metrics     = [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p95" }]]
        annotations = { horizontal = [{ label = "p95 target", value = var.latency_p95_ms / 1000 }] }
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "ALB 5xx responses"
        region = local.region
        stat   = "Sum"
        period = 60
        metrics = [
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix],
        ]
      }
    },
  ] : widget if local.create_alb_alarms]

  db_widgets = length(var.db_instance_identifiers) == 0 ? [] : [
    for metric in [
      { name = "CPUUtilization", title = "RDS CPU (%)", stat = "Average" },
      { name = "DatabaseConnections", title = "RDS connections", stat = "Maximum" },
      { name = "FreeStorageSpace", title = "RDS free storage (bytes)", stat = "Minimum" },
      ] : {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title   = metric.title
        region  = local.region
        stat    = metric.stat
        period  = 300
        metrics = [for identifier in var.db_instance_identifiers : ["AWS/RDS", metric.name, "DBInstanceIdentifier", identifier]]
      }
    }
  ]

  # The widgets below are built even when filtered out: a null id must not reach a string template.
  cache_group_search = var.cache_replication_group_id == null ? "" : var.cache_replication_group_id
  cache_widgets = [for widget in [
    {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title   = "Redis engine CPU (%)"
        region  = local.region
        period  = 300
        metrics = [[{ expression = "SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName=\"EngineCPUUtilization\" ${local.cache_group_search}', 'Average', 300)", id = "cpu" }]]
      }
    },
    {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title   = "Redis memory used (%)"
        region  = local.region
        period  = 300
        metrics = [[{ expression = "SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName=\"DatabaseMemoryUsagePercentage\" ${local.cache_group_search}', 'Average', 300)", id = "memory" }]]
      }
    },
    {
      type   = "metric"
      width  = 8
      height = 6
      properties = {
        title  = "Redis cache hit rate (%)"
        region = local.region
        period = 300
        metrics = [
          [{ expression = "SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName=\"CacheHits\" ${local.cache_group_search}', 'Sum', 300)", id = "hits", visible = false }],
          [{ expression = "SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName=\"CacheMisses\" ${local.cache_group_search}', 'Sum', 300)", id = "misses", visible = false }],
          [{ expression = "100 * SUM(hits) / (SUM(hits) + SUM(misses))", id = "hit_rate", label = "Hit rate" }],
        ]
        annotations = { horizontal = [{ label = "minimum", value = var.cache_hit_rate_min_percent }] }
      }
    },
  ] : widget if var.cache_replication_group_id != null]

  waf_widgets = var.waf_web_acl_name == null ? [] : [{
    type   = "metric"
    width  = 12
    height = 6
    properties = {
      title   = "WAF blocked requests"
      region  = var.waf_scope == "CLOUDFRONT" ? "us-east-1" : local.region
      stat    = "Sum"
      period  = 300
      metrics = [var.waf_scope == "CLOUDFRONT" ? ["AWS/WAFV2", "BlockedRequests", "WebACL", var.waf_web_acl_name, "Rule", "ALL"] : ["AWS/WAFV2", "BlockedRequests", "WebACL", var.waf_web_acl_name, "Region", local.region, "Rule", "ALL"]]
    }
  }]
}

locals {
  # The application's own metrics (planning documents' success metrics): requests per subject, BNCC searches
  # per code, the application's cache hit rate and API p95. SEARCH shows every dimension value that exists.
  application_widgets = concat([
    for search in [
      { title = "Requests per subject", id = "requests_by_subject", metric = local.app_metrics.requests_metric, dimension = local.app_metrics.subject_dimension },
      { title = "BNCC searches per code", id = "bncc_searches", metric = local.app_metrics.bncc_metric, dimension = local.app_metrics.bncc_dimension },
      ] : {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = search.title
        region  = local.region
        period  = 300
        metrics = [[{ expression = "SEARCH('{${local.app_namespace},${search.dimension}} MetricName=\"${search.metric}\"', 'Sum', 300)", id = search.id }]]
      }
    }
    ], [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title       = "Application cache hit rate (%)"
        region      = local.region
        stat        = "Average"
        period      = 300
        metrics     = [[local.app_namespace, local.app_metrics.cache_hit_rate_metric]]
        annotations = { horizontal = [{ label = "minimum", value = var.cache_hit_rate_min_percent }] }
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title       = "API latency p95 (ms)"
        region      = local.region
        period      = 60
        metrics     = [[local.app_namespace, local.app_metrics.latency_metric, { stat = "p95" }]]
        annotations = { horizontal = [{ label = "p95 target", value = var.latency_p95_ms }] }
      }
    },
  ])
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = concat(local.ecs_widgets, local.alb_widgets, local.db_widgets, local.cache_widgets, local.waf_widgets, local.application_widgets) })
}

################################################################################
# Budget
################################################################################

resource "aws_budgets_budget" "this" {
  count = var.create && var.budget != null ? 1 : 0

  name         = "${var.name}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.budget.monthly_max_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = length(var.budget_cost_filter_tags) > 0 ? [1] : []

    content {
      name   = "TagKeyValue"
      values = [for key, value in var.budget_cost_filter_tags : format("user:%s$%s", key, value)]
    }
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    notification_type         = "ACTUAL"
    threshold                 = var.budget.monthly_min_usd
    threshold_type            = "ABSOLUTE_VALUE"
    subscriber_sns_topic_arns = local.topic_arns
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    notification_type         = "ACTUAL"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    subscriber_sns_topic_arns = local.topic_arns
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    notification_type         = "FORECASTED"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    subscriber_sns_topic_arns = local.topic_arns
  }

  tags = var.tags

  depends_on = [aws_sns_topic_policy.this]
}
