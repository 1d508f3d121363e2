# Issue 22 defect 6: ElastiCache cannot publish to a KMS-encrypted SNS topic (AWS: the topic must not be encrypted;
# the notification shows inactive). Its events reach the encrypted alarm topic through an EventBridge rule, which
# the topic policy and the topic key allow (events.amazonaws.com, this account only). Defect 5: other subscribers.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name                 = "edu-test"
  forward_cache_events = true
  alarm_subscriptions  = [{ protocol = "https", endpoint = "https://chat.example.com/hooks/alarms" }]
}

run "cache_events_through_eventbridge" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.cache_events[0].event_pattern).source == ["aws.elasticache"] && contains(jsondecode(aws_cloudwatch_event_rule.cache_events[0].event_pattern)["detail-type"], "Cache Update Failed")
    error_message = "ElastiCache's failure events (source aws.elasticache) are matched (EventBridge events reference, Amazon ElastiCache events)"
  }

  assert {
    condition     = aws_cloudwatch_event_target.cache_events[0].rule == aws_cloudwatch_event_rule.cache_events[0].name
    error_message = "the rule's target is the alarm topic"
  }

  assert {
    condition = one([for statement in jsondecode(module.kms.policy_json).Statement : statement if statement.Sid == "EventBridgePublisher"]).Condition == {
      StringEquals = { "kms:EncryptionContext:aws:sns:topicArn" = "arn:aws:sns:sa-east-1:123456789012:edu-test-alarms" }
    }
    error_message = "EventBridge may use the topic key for this topic only (an encrypted SNS target needs kms:GenerateDataKey and kms:Decrypt for events.amazonaws.com)"
  }

  assert {
    condition     = contains(setunion([for principal in one([for statement in data.aws_iam_policy_document.topic[0].statement : statement if statement.sid == "AlarmPublishers"]).principals : principal.identifiers]...), "events.amazonaws.com")
    error_message = "the topic policy lets EventBridge publish"
  }

  assert {
    condition     = aws_sns_topic_subscription.other["https:https://chat.example.com/hooks/alarms"].protocol == "https"
    error_message = "alarm_subscriptions subscribe an integration besides e-mail (issue 22 defect 5)"
  }
}

run "no_rule_without_the_switch" {
  command = plan

  variables {
    forward_cache_events = false
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.cache_events) == 0
    error_message = "forward_cache_events = false creates no rule (module default)"
  }
}

run "subscription_protocol_refused" {
  command = plan

  variables {
    alarm_subscriptions = [{ protocol = "sms", endpoint = "+5511999999999" }]
  }

  expect_failures = [var.alarm_subscriptions]
}
