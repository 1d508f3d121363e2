terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.4.0 added aws_ecs_service deployment_configuration and load_balancer.advanced_configuration
      # (ECS-native blue/green); 6.5.0 fixed the service stabilization regression 6.4.0 introduced.
      version = ">= 6.5.0"
    }
  }
}
