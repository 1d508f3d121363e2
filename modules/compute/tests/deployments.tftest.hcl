# Pins issue 13 defects 3, 4 and 8: task definition revisions survive a change (the rollback's immediate
# tier deploys them), target groups can be replaced (a new container port), rolling deployments let
# Terraform update the production rule, and blue/green scaling reads both target groups.
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

run "task_definition_revisions_stay_active" {
  command = plan

  assert {
    condition     = aws_ecs_task_definition.this[0].skip_destroy == true
    error_message = "A changed task definition must not deregister the previous revision (skip_destroy)."
  }
}

run "target_groups_use_name_prefixes" {
  command = plan

  assert {
    condition     = alltrue([for color, group in aws_lb_target_group.this : group.name_prefix == "${color}-"])
    error_message = "Target groups need a name prefix (create_before_destroy would collide on a fixed name)."
  }
}

run "rolling_rule_is_owned_by_terraform" {
  command = plan

  assert {
    condition     = length(aws_lb_listener_rule.production) == 0 && length(aws_lb_listener_rule.rolling) == 1
    error_message = "A rolling service uses the rule Terraform updates (no ignore_changes on its action)."
  }

  assert {
    condition     = aws_lb_listener_rule.rolling[0].priority == 110 && aws_lb_listener_rule.rolling[0].action[0].type == "forward"
    error_message = "The rolling rule forwards production traffic."
  }
}

run "blue_green_scaling_reads_both_target_groups" {
  command = plan

  variables {
    deployment_strategy = "BLUE_GREEN"
  }

  assert {
    condition     = length(aws_lb_listener_rule.production) == 1 && length(aws_lb_listener_rule.rolling) == 0
    error_message = "Blue/green keeps the rule ECS shifts."
  }

  assert {
    condition     = length(aws_appautoscaling_policy.this["requests"].target_tracking_scaling_policy_configuration[0].predefined_metric_specification) == 0
    error_message = "Blue/green request scaling must not be pinned to the blue target group."
  }

  assert {
    condition = [
      for query in aws_appautoscaling_policy.this["requests"].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : query.expression if query.return_data
    ] == ["FILL(blue, 0) + FILL(green, 0)"]
    error_message = "Blue/green request scaling sums requests per target over blue and green."
  }

  assert {
    condition = toset([
      for query in aws_appautoscaling_policy.this["requests"].target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : query.id if !query.return_data
    ]) == toset(["blue", "green"])
    error_message = "Both target groups feed the request metric."
  }
}
