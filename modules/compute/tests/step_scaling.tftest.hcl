# Pins the planning documents' "scaling within 2 minutes": a step policy on a one-minute CPU alarm adds
# tasks after a single datapoint, next to the (slower) target tracking policies.
provider "aws" {
  region = "sa-east-1"
}

variables {
  name               = "edu-test"
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
  private_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
  container_image    = "public.ecr.aws/nginx/nginx:stable"
}

run "one_minute_alarm_drives_a_step_policy" {
  command = plan

  assert {
    condition = (aws_cloudwatch_metric_alarm.step_out[0].period == 60 && aws_cloudwatch_metric_alarm.step_out[0].evaluation_periods == 1
    && aws_cloudwatch_metric_alarm.step_out[0].datapoints_to_alarm == 1 && aws_cloudwatch_metric_alarm.step_out[0].threshold == 80)
    error_message = "The step alarm fires on one one-minute datapoint above 80 % CPU."
  }

  assert {
    condition = (aws_appautoscaling_policy.step_out[0].policy_type == "StepScaling"
      && aws_appautoscaling_policy.step_out[0].step_scaling_policy_configuration[0].adjustment_type == "ChangeInCapacity"
    && aws_appautoscaling_policy.step_out[0].step_scaling_policy_configuration[0].cooldown == 60)
    error_message = "The step policy adds tasks with a one-minute cooldown."
  }

  assert {
    condition     = toset([for step in aws_appautoscaling_policy.step_out[0].step_scaling_policy_configuration[0].step_adjustment : step.scaling_adjustment]) == toset([1, 3])
    error_message = "The default steps add 1 task, or 3 when CPU is 10 points over the threshold."
  }
}

run "step_scaling_can_be_turned_off" {
  command = plan

  variables {
    step_scaling = { enabled = false }
  }

  assert {
    condition     = length(aws_appautoscaling_policy.step_out) == 0 && length(aws_cloudwatch_metric_alarm.step_out) == 0
    error_message = "enabled = false creates neither the alarm nor the policy."
  }
}
