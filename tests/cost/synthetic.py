"""Plan JSON shaped like `terraform show -json` of the real root (terraform/) for one environment.

The resources, their addresses, counts and the attributes the cost rules read follow
modules/*/main.tf: what each module creates for the environment's rendered variables
(EnvironmentConfig.terraform_variables(), the same values `toolkit render` writes to tfvars).
Values known only after apply are left out of `after` and marked in `after_unknown`, as Terraform does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


class _Plan:
    def __init__(self, region: str) -> None:
        self.changes: list[dict[str, Any]] = []
        self.region = region

    def add(self, module: str, type_name: str, name: str, after: dict[str, Any] | None = None, *,
            index: Any = None, before: dict[str, Any] | None = None, unknown: dict[str, Any] | None = None,
            actions: list[str] | None = None) -> None:
        key = "" if index is None else (f'["{index}"]' if isinstance(index, str) else f"[{index}]")
        address = f"{module + '.' if module else ''}{type_name}.{name}{key}"
        entry: dict[str, Any] = {
            "address": address, "mode": "managed", "type": type_name, "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": actions or (["create"] if before is None else ["update"]),
                       "before": before, "after": after if after is not None else {},
                       "after_unknown": unknown or {"id": True, "arn": True},
                       "before_sensitive": {} if before is not None else False, "after_sensitive": {}},
        }
        if module:
            entry["module_address"] = module
        if index is not None:
            entry["index"] = index
        self.changes.append(entry)

    def document(self, variables: dict[str, Any]) -> dict[str, Any]:
        return {
            "format_version": "1.2",
            "terraform_version": "1.15.5",
            "variables": {name: {"value": value} for name, value in variables.items()},
            "planned_values": {"root_module": {}},
            "resource_changes": self.changes,
            "configuration": {"root_module": {}},
        }


def environment_plan(variables: dict[str, Any]) -> dict[str, Any]:
    """A create-everything plan of the root module for one environment's variables."""
    plan = _Plan(variables["aws_region"])
    network, database, cache = variables["network"], variables["database"], variables["cache"]
    compute, waf, storage = variables["compute"], variables["waf"], variables["storage"]
    zones = network["availability_zones"]
    nat_count = 1 if network["single_nat_gateway"] else zones

    net = "module.network"
    for type_name in ("aws_vpc", "aws_default_security_group", "aws_internet_gateway"):
        plan.add(net, type_name, "this", {})
    for index in range(zones):
        plan.add(net, "aws_subnet", "public", {}, index=index)
        plan.add(net, "aws_subnet", "private", {}, index=index)
        plan.add(net, "aws_route_table_association", "public", {}, index=index)
        plan.add(net, "aws_route_table_association", "private", {}, index=index)
    plan.add(net, "aws_route_table", "public", {})
    plan.add(net, "aws_route", "public_internet", {})
    for index in range(nat_count):
        plan.add(net, "aws_eip", "nat", {"domain": "vpc"}, index=index)
        plan.add(net, "aws_nat_gateway", "this", {"connectivity_type": "public"}, index=index)
        plan.add(net, "aws_route_table", "private", {}, index=index)
        plan.add(net, "aws_route", "private_nat", {}, index=index)
    plan.add(net, "aws_vpc_endpoint", "s3", {"vpc_endpoint_type": "Gateway"})
    plan.add(net, "aws_security_group", "endpoints", {}, index=0)
    plan.add(net, "aws_vpc_security_group_ingress_rule", "endpoints_https", {}, index=0)
    plan.add(net, "aws_vpc_endpoint", "secretsmanager", {"vpc_endpoint_type": "Interface"}, index=0,
             unknown={"id": True, "subnet_ids": True})
    plan.add(net, "aws_cloudwatch_log_group", "flow_log", {"name": "flow"}, index=0)
    plan.add(net, "aws_iam_role", "flow_log", {}, index=0)
    plan.add(net, "aws_iam_role_policy", "flow_log", {}, index=0)
    plan.add(net, "aws_flow_log", "this", {}, index=0)

    db = "module.database"
    for type_name in ("aws_db_subnet_group", "aws_security_group", "aws_kms_key", "aws_kms_alias"):
        plan.add(db, type_name, "this", {}, index=0)
    plan.add(db, "aws_vpc_security_group_ingress_rule", "clients", {}, index="app")
    plan.add(db, "aws_cloudwatch_log_group", "postgresql", {"name": "postgresql"}, index=0)
    if database["enhanced_monitoring_interval_seconds"]:
        plan.add(db, "aws_iam_role", "monitoring", {}, index=0)
        plan.add(db, "aws_iam_role_policy_attachment", "monitoring", {}, index=0)
    instances = 1
    if database["engine_mode"] == "rds":
        plan.add(db, "aws_db_parameter_group", "this", {}, index=0)
        plan.add(db, "aws_db_instance", "this", {
            "engine": "postgres", "instance_class": database["instance_class"],
            "allocated_storage": database["allocated_storage_gb"], "storage_type": "gp3",
            "multi_az": database["multi_az"], "replicate_source_db": None}, index=0)
        for replica in range(1, database["read_replicas"] + 1):
            plan.add(db, "aws_db_instance", "replica", {
                "engine": "postgres", "instance_class": database["instance_class"], "allocated_storage": None,
                "storage_type": "gp3", "multi_az": False, "replicate_source_db": "edu-platform"},
                index=f"replica-{replica}")
        instances += database["read_replicas"]
    else:
        plan.add(db, "aws_rds_cluster_parameter_group", "this", {}, index=0)
        plan.add(db, "aws_rds_cluster", "this", {"engine": "aurora-postgresql", "serverlessv2_scaling_configuration": [
            {"min_capacity": database["serverless_min_acu"], "max_capacity": database["serverless_max_acu"]}]},
            index=0)
        readers = database["read_replicas"]
        for member in range(1 + readers):
            plan.add(db, "aws_rds_cluster_instance", "this", {"instance_class": "db.serverless",
                                                              "engine": "aurora-postgresql"}, index=f"member-{member}")
        instances = 1 + readers

    ec = "module.cache"
    for type_name in ("aws_elasticache_subnet_group", "aws_security_group", "aws_kms_key", "aws_kms_alias",
                      "aws_elasticache_parameter_group"):
        plan.add(ec, type_name, "this", {}, index=0)
    plan.add(ec, "random_password", "auth_token", {}, index=0)
    plan.add(ec, "aws_secretsmanager_secret", "auth_token", {}, index=0)
    plan.add(ec, "aws_secretsmanager_secret_version", "auth_token", {}, index=0)
    cluster_mode = cache["cluster_mode"]
    plan.add(ec, "aws_elasticache_replication_group", "this", {
        "node_type": cache["node_type"], "engine": "redis",
        "cluster_mode": "enabled" if cluster_mode else "disabled",
        "num_node_groups": cache["shards"] if cluster_mode else None,
        "replicas_per_node_group": cache["replicas_per_shard"] if cluster_mode else None,
        "num_cache_clusters": None if cluster_mode else 1 + cache["replicas_per_shard"]}, index=0)
    plan.add(ec, "aws_cloudwatch_log_group", "this", {"name": "slow-log"}, index="slow-log")
    cache_nodes = cache["shards"] * (1 + cache["replicas_per_shard"])

    st = "module.storage"
    plan.add(st, "aws_kms_key", "this", {}, index=0)
    plan.add(st, "aws_kms_alias", "this", {}, index=0)
    for bucket, settings in storage["buckets"].items():
        plan.add(st, "aws_s3_bucket", "this", {"bucket": f"{variables['project']}-{variables['environment']}-{bucket}"},
                 index=bucket)
        for type_name in ("aws_s3_bucket_ownership_controls", "aws_s3_bucket_public_access_block",
                          "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
                          "aws_s3_bucket_policy"):
            plan.add(st, type_name, "this", {}, index=bucket)
        if settings.get("lifecycle"):
            plan.add(st, "aws_s3_bucket_lifecycle_configuration", "this", {}, index=bucket)

    cp = "module.compute"
    plan.add(cp, "aws_ecs_cluster", "this", {}, index=0)
    plan.add(cp, "aws_cloudwatch_log_group", "this", {"name": "app"}, index=0)
    for name in ("execution", "task", "ecs_infrastructure"):
        plan.add(cp, "aws_iam_role", name, {}, index=0)
    plan.add(cp, "aws_iam_role_policy", "execution", {}, index=0)
    plan.add(cp, "aws_ecs_task_definition", "this", {
        "cpu": str(compute["cpu"]), "memory": str(compute["memory_mib"]), "family": "app",
        "runtime_platform": [{"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}]}, index=0)
    plan.add(cp, "aws_security_group", "alb", {}, index=0)
    plan.add(cp, "aws_lb", "this", {"load_balancer_type": "application"}, index=0)
    plan.add(cp, "aws_lb_target_group", "this", {}, index=0)
    plan.add(cp, "aws_lb_listener", "http", {}, index=0)
    plan.add(cp, "aws_security_group", "service", {}, index=0)
    plan.add(cp, "aws_ecs_service", "this", {"launch_type": "FARGATE", "desired_count": compute["min_tasks"],
                                            "name": "app"}, index=0)
    plan.add(cp, "aws_appautoscaling_target", "this", {
        "service_namespace": "ecs", "scalable_dimension": "ecs:service:DesiredCount",
        "min_capacity": compute["min_tasks"], "max_capacity": compute["max_tasks"]}, index=0)
    plan.add(cp, "aws_appautoscaling_policy", "this", {}, index="cpu")

    if waf["enabled"]:
        wf = "module.waf[0]"
        rules = [{"name": "block-outside-allowed-countries"}, {"name": "rate-limit-per-ip"},
                 {"name": "AWSManagedRulesCommonRuleSet"}, {"name": "AWSManagedRulesSQLiRuleSet"},
                 {"name": "AWSManagedRulesKnownBadInputsRuleSet"}]
        plan.add(wf, "aws_wafv2_web_acl", "this", {"rule": rules, "scope": "REGIONAL"}, index=0)
        plan.add(wf, "aws_wafv2_web_acl_association", "this", {}, index=0)
        plan.add(wf, "aws_cloudwatch_log_group", "this", {"name": "aws-waf-logs"}, index=0)
        plan.add(wf, "aws_wafv2_web_acl_logging_configuration", "this", {}, index=0)

    mon = "module.monitoring"
    for type_name in ("aws_kms_key", "aws_kms_alias", "aws_sns_topic", "aws_sns_topic_policy"):
        plan.add(mon, type_name, "this", {}, index=0)
    plan.add(mon, "aws_cloudwatch_metric_alarm", "latency_p95", {"period": 60}, index=0)
    two_metrics = [{"id": "rate", "metric": []}, {"id": "errors", "metric": [{"metric_name": "a"}]},
                   {"id": "requests", "metric": [{"metric_name": "b"}]}]
    plan.add(mon, "aws_cloudwatch_metric_alarm", "http_5xx_rate", {"metric_query": two_metrics}, index=0)
    plan.add(mon, "aws_cloudwatch_metric_alarm", "availability", {"metric_query": two_metrics}, index=0)
    if database["engine_mode"] == "rds":
        for member in range(instances):
            plan.add(mon, "aws_cloudwatch_metric_alarm", "db_connections", {"period": 60}, index=f"db-{member}")
            plan.add(mon, "aws_cloudwatch_metric_alarm", "db_free_storage", {"period": 300}, index=f"db-{member}")
    plan.add(mon, "aws_cloudwatch_log_metric_filter", "slow_queries", {}, index=0)
    plan.add(mon, "aws_cloudwatch_metric_alarm", "slow_queries", {"period": 60}, index=0)
    for group in range(math.ceil(cache_nodes / 5)):
        members = min(5, cache_nodes - group * 5)
        queries = [{"id": "hit_rate", "metric": []}] + [{"id": f"m{i}", "metric": [{}]} for i in range(2 * members)]
        plan.add(mon, "aws_cloudwatch_metric_alarm", "cache_hit_rate", {"metric_query": queries},
                 index=f"nodes-{group}")
    plan.add(mon, "aws_cloudwatch_dashboard", "this", {}, index=0)
    plan.add(mon, "aws_budgets_budget", "this", {}, index=0)

    if variables["cdn"]["enabled"]:
        plan.add("", "aws_cloudfront_distribution", "this", {"enabled": True}, index=0)
    return plan.document(variables)


def write_environment_plan(variables: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(environment_plan(variables)), encoding="utf-8")
    return path


def _unquoted(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals ('"rds"'); drop them, recursively."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {_unquoted(key): _unquoted(item) for key, item in value.items() if key != "__comments__"}
    if isinstance(value, list):
        return [_unquoted(item) for item in value]
    return value


def variables_from_tfvars(path: Path) -> dict[str, Any]:
    """The variables of a rendered build/ENV/terraform.tfvars (what `toolkit render ENV` wrote)."""
    from toolkit.hcl_reader import load_hcl

    return _unquoted(load_hcl(path.read_text(encoding="utf-8")))


if __name__ == "__main__":
    # python -m tests.cost.synthetic build/prod/terraform.tfvars plan.json
    import sys

    write_environment_plan(variables_from_tfvars(Path(sys.argv[1])), Path(sys.argv[2]))
