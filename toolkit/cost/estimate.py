"""Monthly cost of a plan's resources: planned state (`after`), prior state (`before`) and the delta.

Reading: `CostCollector` is a read_plan hook that keeps, for every managed resource change, only the
attributes its price rule needs (so a 50,000-change plan costs little memory). Pricing: each
resource type has one rule turning attributes into `CostLine`s (quantity × unit price). Fixed
quantities come from the resource (instance class, node count, NAT gateways); usage-based ones from
the environment's `usage` assumptions. Autoscaled things carry a low and a high quantity. A line
whose price is missing is kept, marked "not priced": totals are then lower bounds and say so.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from toolkit.config.model import UsageSettings
from toolkit.cost.prices import Price, PriceBook
from toolkit.plans.actions import action_of
from toolkit.plans.reader import ChangeRecord

# Attributes each priced type needs; everything else in a change entry is dropped while reading.
KEPT_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "aws_db_instance": ("engine", "instance_class", "allocated_storage", "storage_type", "multi_az",
                        "replicate_source_db", "performance_insights_enabled",
                        "performance_insights_retention_period"),
    "aws_rds_cluster": ("engine", "serverlessv2_scaling_configuration"),
    "aws_rds_cluster_instance": ("instance_class", "engine"),
    "aws_elasticache_replication_group": ("node_type", "engine", "cluster_mode", "num_node_groups",
                                          "replicas_per_node_group", "num_cache_clusters",
                                          "snapshot_retention_limit"),
    "aws_elasticache_cluster": ("node_type", "engine", "num_cache_nodes"),
    "aws_ecs_service": ("launch_type", "desired_count", "name", "task_definition"),
    "aws_ecs_task_definition": ("cpu", "memory", "runtime_platform", "family", "container_definitions"),
    "aws_appautoscaling_target": ("service_namespace", "scalable_dimension", "min_capacity", "max_capacity",
                                  "resource_id"),
    "aws_lb": ("load_balancer_type",),
    "aws_nat_gateway": ("connectivity_type",),
    "aws_eip": ("domain",),
    "aws_vpc_endpoint": ("vpc_endpoint_type", "subnet_ids"),
    "aws_subnet": (),
    "aws_wafv2_web_acl": ("rule", "scope"),
    "aws_kms_key": (),
    "aws_secretsmanager_secret": (),
    "aws_cloudwatch_metric_alarm": ("metric_query", "period"),
    "aws_cloudwatch_dashboard": (),
    "aws_cloudwatch_log_group": ("name",),
    "aws_cloudwatch_log_metric_filter": ("metric_transformation",),
    "aws_s3_bucket": ("bucket",),
    "aws_cloudfront_distribution": ("enabled",),
    "aws_lambda_function": ("memory_size",),
    "aws_backup_vault": (),
    "aws_cloudtrail": ("is_multi_region_trail",),
    "aws_flow_log": ("log_destination_type",),
}


@dataclass(slots=True)
class ResourceState:
    """What the collector keeps of one managed resource change."""

    address: str
    module: str
    type: str
    index: Any
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class CostCollector:
    """read_plan `on_entry` hook: keeps the priced attributes of every managed resource change."""

    def __init__(self, then: Callable[[str, dict[str, Any], ChangeRecord], None] | None = None) -> None:
        self.resources: list[ResourceState] = []
        self.then = then

    def __call__(self, key: str, entry: dict[str, Any], record: ChangeRecord) -> None:
        if self.then is not None:
            self.then(key, entry, record)
        if key != "resource_changes" or record.mode != "managed" or record.deposed:
            return
        change = entry.get("change") or {}
        kept = KEPT_ATTRIBUTES.get(record.type)
        before, after = change.get("before"), change.get("after")
        if kept is not None:
            before = _keep(before, kept, change.get("before_sensitive"))
            after = _keep(after, kept, change.get("after_sensitive"))
        else:
            # No rule reads the attributes of these types: only whether each state exists.
            before = _NOTHING if isinstance(before, dict) else None
            after = _NOTHING if isinstance(after, dict) else None
        self.resources.append(ResourceState(record.address, record.module, record.type, entry.get("index"),
                                            action_of(record.actions), before, after))


# Shared by every resource whose attributes no rule reads; never written to.
_NOTHING: dict[str, Any] = {}


SENSITIVE = "(sensitive)"


def _keep(values: Any, names: tuple[str, ...], sensitive: Any) -> dict[str, Any] | None:
    """The attributes a price rule reads; a value the plan marks sensitive is never kept (nor shown)."""
    if not isinstance(values, dict):
        return None
    if sensitive is True:
        return dict.fromkeys(names, SENSITIVE)
    # Only `true` marks a value sensitive; a list or map there describes which nested leaves are.
    marks = sensitive if isinstance(sensitive, dict) else {}
    return {name: SENSITIVE if marks.get(name) is True else values.get(name) for name in names}


@dataclass(frozen=True)
class CostLine:
    """One priced quantity: `quantity_low`..`quantity_high` units a month at `price`."""

    label: str
    quantity_low: float
    quantity_high: float
    price: Price
    usage_key: str | None = None
    note: str = ""
    quantity_known: bool = True  # False: the plan does not say how many units (known only after apply)

    @property
    def priced(self) -> bool:
        if not self.quantity_known:
            return False
        # Zero units cost nothing whatever the price: an unmeasured usage is not a pricing gap.
        return self.price.usd is not None or (self.quantity_low == 0 and self.quantity_high == 0)

    @property
    def monthly_low(self) -> float:
        return self.quantity_low * (self.price.usd or 0.0)

    @property
    def monthly_high(self) -> float:
        return self.quantity_high * (self.price.usd or 0.0)


@dataclass
class Side:
    """One state (planned or prior) of one resource: its lines, or why it has none."""

    lines: list[CostLine] = field(default_factory=list)
    free: bool = False
    not_priced: str = ""  # the whole resource cannot be priced (no rule), with why

    # Totals are read many times (per module, per budget sentence, per output): computed once. A Side
    # is complete when built; nothing appends lines afterwards.
    @cached_property
    def low(self) -> float:
        return sum(line.monthly_low for line in self.lines)

    @cached_property
    def high(self) -> float:
        return sum(line.monthly_high for line in self.lines)

    @cached_property
    def unpriced_lines(self) -> list[CostLine]:
        return [line for line in self.lines if not line.priced]

    @cached_property
    def complete(self) -> bool:
        return not self.not_priced and not self.unpriced_lines


@dataclass
class ResourceCost:
    address: str
    module: str
    type: str
    action: str
    planned: Side | None  # None: the resource is gone after the plan
    prior: Side | None  # None: the resource does not exist yet

    @property
    def delta_low(self) -> float:
        return (self.planned.low if self.planned else 0.0) - (self.prior.low if self.prior else 0.0)

    @property
    def delta_high(self) -> float:
        return (self.planned.high if self.planned else 0.0) - (self.prior.high if self.prior else 0.0)

    @property
    def change_known(self) -> bool:
        """False for a resource that existed and has a side not fully priced: its change would count the unpriced
        size as $0 (a larger cache node not in the price book read as a saving of the whole old node)."""
        return self.prior is None or all(side.complete for side in (self.planned, self.prior) if side is not None)


@dataclass(frozen=True)
class PricingContext:
    """What a rule may look at beyond its own attributes."""

    book: PriceBook
    region: str
    usage: UsageSettings
    hours: float
    # Per state ("before"/"after"): resources of the same module by type, for cross-resource rules.
    by_module: dict[str, dict[tuple[str, str], list[dict[str, Any]]]]
    counts: dict[str, dict[str, int]]  # state -> type -> how many resources of that type exist

    def price(self, product: str, instance_type: str = "") -> Price:
        return self.book.price(product, self.region, instance_type)

    def siblings(self, state: str, module: str, type_name: str) -> list[dict[str, Any]]:
        return self.by_module[state].get((module, type_name), [])


Rule = Callable[[dict[str, Any], ResourceState, str, PricingContext], list[CostLine] | str]


def _number(value: Any) -> float | None:
    """A count or size from the plan: a finite number ≥ 0, else None (a plan may hold anything)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return float(value)
    return None


def _first_block(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _db_instance(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                 ) -> list[CostLine] | str:
    engine = str(attributes.get("engine") or "postgres")
    # A read replica has its source's engine and storage (offline, a base applied to the stub holds the stub's
    # made-up values for them: the source's configured ones are the real answer).
    replica_of = attributes.get("replicate_source_db")
    sources = [other for other in context.siblings(state, resource.module, "aws_db_instance")
               if not other.get("replicate_source_db")] if replica_of else []
    if len(sources) == 1 and isinstance(sources[0].get("engine"), str) and sources[0]["engine"]:
        engine = sources[0]["engine"]
    instance_class = str(attributes.get("instance_class") or "")
    # multi_az unknown until apply (unset in the configuration) means AWS's default: Single-AZ.
    copies = 2 if attributes.get("multi_az") is True else 1
    hours = context.hours * copies
    lines: list[CostLine] = []
    where = " (Multi-AZ: primary and standby)" if copies == 2 else ""
    if engine != "postgres":
        price = Price("rds_instance_hour", context.region, None, "instance-hour", "",
                      f"engine {engine} is not in the price book (PostgreSQL only)", "AmazonRDS", "", {})
    else:
        price = context.price("rds_postgres_instance_hour", instance_class)
    lines.append(CostLine(f"{instance_class} instance{where}", hours, hours, price))
    storage = _number(attributes.get("allocated_storage"))
    storage_type = attributes.get("storage_type")
    if replica_of and len(sources) == 1:
        # A read replica stores what its source stores.
        storage = _number(sources[0].get("allocated_storage"))
        storage_type = sources[0].get("storage_type") or storage_type
    if storage is None:
        lines.append(_unknown("storage (size unknown until apply)", context))
    elif not storage_type:
        lines.append(CostLine(f"{storage:g} GB storage (type known only after apply)", storage * copies,
                              storage * copies, _missing(context, "storage of an unknown type")))
    elif storage_type == "gp3":
        gb = storage * copies
        lines.append(CostLine(f"{storage:g} GB gp3 storage{where}", gb, gb, context.price("rds_gp3_storage_gb_month")))
    else:
        lines.append(CostLine(f"{storage:g} GB {storage_type} storage", storage * copies, storage * copies,
                              _missing(context, f"{storage_type} storage")))
    if not attributes.get("replicate_source_db"):
        gb = _shared(context.usage.rds_backup_gb, state, "aws_db_instance", context, primaries_only=True)
        lines.append(_usage_line(context, "backup storage beyond the free allocation", "rds_backup_gb_month",
                                 "rds_backup_gb", gb))
    lines.extend(_performance_insights(attributes, context))
    return lines


# Performance Insights keeps 7 days of history for free; longer retention is billed per vCPU-month.
_FREE_INSIGHTS_DAYS = 7


def _performance_insights(attributes: dict[str, Any], context: PricingContext) -> list[CostLine]:
    if attributes.get("performance_insights_enabled") is not True:
        return []
    retention = _number(attributes.get("performance_insights_retention_period"))
    if retention is None or retention <= _FREE_INSIGHTS_DAYS:
        return [CostLine("Performance Insights (7-day retention)", 0, 0,
                         context.price("performance_insights_vcpu_month"), note="free: 7 days of history")]
    return [CostLine(f"Performance Insights ({retention:g}-day retention)", 0, 0,
                     _missing(context, "Performance Insights long-term retention (vCPUs per instance class)"),
                     quantity_known=False)]


def _unknown(label: str, context: PricingContext) -> CostLine:
    """A line whose quantity the plan does not hold (known only after apply): not priced, never zero."""
    return CostLine(label, 0, 0, _missing(context, label), quantity_known=False)


def _usage_line(context: PricingContext, label: str, product: str, key: str, quantity: float,
                unmeasured: str = "0: not measured") -> CostLine:
    """A usage-based line: the quantity comes from `usage.KEY`, and says so when nobody measured it."""
    return CostLine(label, quantity, quantity, context.price(product), f"usage.{key}", "" if quantity else unmeasured)


def _missing(context: PricingContext, what: str) -> Price:
    return Price(what, context.region, None, "", "", f"{what} is not in the price book", "", "", {})


def _rds_cluster_instance(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                          ) -> list[CostLine] | str:
    instance_class = str(attributes.get("instance_class") or "")
    if instance_class != "db.serverless":
        return [CostLine(f"{instance_class} Aurora instance", context.hours, context.hours,
                         _missing(context, f"Aurora {instance_class} instance"))]
    clusters = context.siblings(state, resource.module, "aws_rds_cluster")
    scaling = _first_block(clusters[0].get("serverlessv2_scaling_configuration")) if len(clusters) == 1 else {}
    low, high = _number(scaling.get("min_capacity")), _number(scaling.get("max_capacity"))
    if low is None or high is None:
        return [_unknown("Serverless v2 ACUs (capacity unknown)", context)]
    low, high = min(low, high), max(low, high)
    note = f"planned {low:g}–{high:g} ACU"
    assumed = context.usage.aurora_average_acu
    if assumed is not None:
        low, high = min(max(assumed.low, low), high), min(max(assumed.high, low), high)
        note = f"usage.aurora_average_acu {assumed.low:g}–{assumed.high:g}, within {note}"
    return [CostLine(f"Serverless v2 {low:g}–{high:g} ACU", low * context.hours, high * context.hours,
                     context.price("aurora_serverless_v2_acu_hour"), "usage.aurora_average_acu", note)]


def _elasticache_replication_group(attributes: dict[str, Any], resource: ResourceState, state: str,
                                   context: PricingContext) -> list[CostLine] | str:
    node_type = str(attributes.get("node_type") or "")
    shards = _number(attributes.get("num_node_groups"))
    replicas = _number(attributes.get("replicas_per_node_group"))
    clusters = _number(attributes.get("num_cache_clusters"))
    if attributes.get("cluster_mode") == "enabled" or (shards and not clusters):
        nodes = (shards or 1) * (1 + (replicas or 0))
        shape = f"{shards or 1:g} shards × {1 + (replicas or 0):g} nodes"
    else:
        nodes = clusters or 1
        shape = f"{nodes:g} node{'s' if nodes != 1 else ''}"
    hours = nodes * context.hours
    lines = [CostLine(f"{node_type} {shape}", hours, hours, _cache_node_price(attributes, node_type, context))]
    if (_number(attributes.get("snapshot_retention_limit")) or 0) > 0:
        gb = _shared(context.usage.cache_snapshot_gb, state, "aws_elasticache_replication_group", context)
        lines.append(_usage_line(context, "snapshot storage beyond the free allocation",
                                 "elasticache_backup_gb_month", "cache_snapshot_gb", gb))
    return lines


def _cache_node_price(attributes: dict[str, Any], node_type: str, context: PricingContext) -> Price:
    engine = str(attributes.get("engine") or "redis").lower()
    if engine == "valkey":
        return context.price("elasticache_valkey_node_hour", node_type)
    if engine == "redis":
        return context.price("elasticache_node_hour", node_type)
    return _missing(context, f"ElastiCache {engine} nodes")


def _elasticache_cluster(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                         ) -> list[CostLine] | str:
    node_type = str(attributes.get("node_type") or "")
    nodes = _number(attributes.get("num_cache_nodes")) or 1
    hours = nodes * context.hours
    return [CostLine(f"{node_type} × {nodes:g}", hours, hours, _cache_node_price(attributes, node_type, context))]


def _ecs_service(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                 ) -> list[CostLine] | str:
    if (attributes.get("launch_type") or "FARGATE") != "FARGATE":
        return "free"  # EC2 launch type: the instances are priced, not the service
    tasks = _matching(context.siblings(state, resource.module, "aws_ecs_task_definition"), "family",
                      _family(attributes.get("task_definition")))
    if len(tasks) != 1:
        return [_unknown("Fargate tasks (task definition not in this module)", context)]
    cpu, memory = _number(tasks[0].get("cpu")), _number(tasks[0].get("memory"))
    platform = _first_block(tasks[0].get("runtime_platform"))
    if cpu is None or memory is None:
        return [_unknown("Fargate tasks (task size unknown)", context)]
    desired = _number(attributes.get("desired_count")) or 0
    low = high = desired
    source = f"desired_count {desired:g}"
    targets = [target for target in context.siblings(state, resource.module, "aws_appautoscaling_target")
               if target.get("service_namespace") == "ecs"]
    name = attributes.get("name")
    if len(targets) > 1 and isinstance(name, str):
        # Several services in one module: the target whose resource_id ends with this service's name.
        targets = [target for target in targets if str(target.get("resource_id") or "").endswith(f"/{name}")]
    for target in targets[:1]:
            bounds = (_number(target.get("min_capacity")) or 0, _number(target.get("max_capacity")) or 0)
            low, high = min(bounds), max(bounds)
            source = f"autoscaling {low:g}–{high:g} tasks"
    assumed = context.usage.fargate_average_tasks
    if assumed is not None:
        low, high = min(max(assumed.low, low), high), min(max(assumed.high, low), high)
        source = f"usage.fargate_average_tasks {assumed.low:g}–{assumed.high:g}, within {source}"
    if str(platform.get("cpu_architecture") or "X86_64") != "X86_64":
        vcpu_price = _missing(context, "Fargate ARM64")
        gb_price = vcpu_price
    else:
        vcpu_price, gb_price = context.price("fargate_vcpu_hour"), context.price("fargate_gb_hour")
    vcpu, gb = cpu / 1024, memory / 1024
    hours = context.hours
    label = f"{low:g}–{high:g} tasks" if low != high else f"{low:g} task{'s' if low != 1 else ''}"
    lines = [
        CostLine(f"Fargate vCPU ({label} × {vcpu:g} vCPU)", low * vcpu * hours, high * vcpu * hours, vcpu_price,
                 "usage.fargate_average_tasks", source),
        CostLine(f"Fargate memory ({label} × {gb:g} GB)", low * gb * hours, high * gb * hours, gb_price,
                 "usage.fargate_average_tasks", source),
    ]
    if "xray-daemon" in str(tasks[0].get("container_definitions") or ""):
        # The X-Ray daemon sidecar sends traces: X-Ray bills traces recorded.
        millions = context.usage.xray_traces / 1_000_000
        lines.append(_usage_line(context, "X-Ray traces recorded", "xray_million_traces", "xray_traces", millions))
    return lines


def _family(task_definition: Any) -> str | None:
    """The family of `task_definition` (an ARN, family:revision or family), when the plan knows it."""
    if not isinstance(task_definition, str) or not task_definition:
        return None
    return task_definition.rsplit("/", 1)[-1].split(":", 1)[0]


def _matching(candidates: list[dict[str, Any]], key: str, wanted: str | None) -> list[dict[str, Any]]:
    """The one candidate whose `key` is `wanted` when several are in the module, else all of them."""
    if len(candidates) <= 1 or wanted is None:
        return candidates
    return [candidate for candidate in candidates if candidate.get(key) == wanted]


def _lb(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
        ) -> list[CostLine] | str:
    kind = str(attributes.get("load_balancer_type") or "application")
    if kind != "application":
        return [CostLine(f"{kind} load balancer", context.hours, context.hours, _missing(context, f"{kind} LB"))]
    lcu = context.usage.alb_lcu * context.hours
    return [
        CostLine("Application Load Balancer", context.hours, context.hours, context.price("alb_hour")),
        CostLine(f"{context.usage.alb_lcu:g} LCU", lcu, lcu, context.price("alb_lcu_hour"), "usage.alb_lcu"),
    ]


def _shared(total: float, state: str, type_name: str, context: PricingContext, *,
            primaries_only: bool = False) -> float:
    """An environment-wide usage total shared equally by the resources of one type."""
    count = context.counts[state].get(type_name, 0)
    if primaries_only:
        # Read replicas keep no automated backups of their own (counted once while reading).
        count -= context.counts[state].get(f"{type_name} replica", 0)
    return total / count if count > 0 else 0.0


def _nat_gateway(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                 ) -> list[CostLine] | str:
    if attributes.get("connectivity_type") == "private":
        return [CostLine("private NAT gateway", context.hours, context.hours, _missing(context, "private NAT"))]
    gb = _shared(context.usage.nat_processed_gb, state, "aws_nat_gateway", context)
    return [
        CostLine("NAT gateway", context.hours, context.hours, context.price("nat_gateway_hour")),
        _usage_line(context, "data processed", "nat_gateway_gb", "nat_processed_gb", gb),
    ]


def _eip(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
         ) -> list[CostLine] | str:
    return [CostLine("public IPv4 address", context.hours, context.hours, context.price("public_ipv4_hour"))]


def _vpc_endpoint(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                  ) -> list[CostLine] | str:
    if str(attributes.get("vpc_endpoint_type") or "Gateway") != "Interface":
        return "free"  # gateway endpoints (S3, DynamoDB) have no charge
    subnets = attributes.get("subnet_ids")
    if isinstance(subnets, list) and subnets:
        zones = float(len(subnets))
    else:
        # Subnet ids are known only after apply; the module puts one endpoint interface per private subnet.
        private = [subnet for subnet in context.siblings(state, resource.module, "aws_subnet")
                   if subnet.get("__name") == "private"]
        zones = float(len(private)) or 1.0
    hours = zones * context.hours
    return [CostLine(f"interface endpoint in {zones:g} AZ", hours, hours, context.price("vpc_interface_endpoint_hour"))]


BOT_CONTROL = "AWSManagedRulesBotControlRuleSet"


def _managed_groups(rules: list[Any]) -> list[tuple[str, str]]:
    """(vendor, name) of every managed rule group statement the web ACL's rules use."""
    found = []
    for rule in rules:
        for statement in (rule.get("statement") or []) if isinstance(rule, dict) else []:
            for group in (statement.get("managed_rule_group_statement") or []) if isinstance(statement, dict) else []:
                if isinstance(group, dict):
                    found.append((str(group.get("vendor_name") or "AWS"), str(group.get("name") or "")))
    return found


def _waf(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
         ) -> list[CostLine] | str:
    rules = attributes.get("rule") if isinstance(attributes.get("rule"), list) else []
    count = float(len(rules))
    requests = context.usage.requests_per_minute * 60 * context.hours / 1_000_000
    lines = [
        CostLine("web ACL", 1, 1, context.price("waf_web_acl_month")),
        CostLine(f"{count:g} rules", count, count, context.price("waf_rule_month")),
        CostLine(f"{requests:.1f} M requests", requests, requests, context.price("waf_million_requests"),
                 "usage.requests_per_minute"),
    ]
    for vendor, name in _managed_groups(rules):
        if vendor == "AWS" and name == BOT_CONTROL:
            # Bot Control is a paid managed group: a subscription and a fee per request it inspects.
            lines.append(CostLine("Bot Control subscription", 1, 1, context.price("waf_bot_control_month")))
            lines.append(CostLine(f"Bot Control {requests:.1f} M requests", requests, requests,
                                  context.price("waf_bot_control_million_requests"), "usage.requests_per_minute"))
        elif vendor != "AWS":
            lines.append(CostLine(f"{vendor} {name} (Marketplace rule group)", 1, 1,
                                  _missing(context, f"Marketplace rule group {vendor} {name}")))
    return lines


def _one(product: str, label: str) -> Rule:
    def rule(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
             ) -> list[CostLine] | str:
        return [CostLine(label, 1, 1, context.price(product))]
    return rule


def _alarm(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
           ) -> list[CostLine] | str:
    queries = attributes.get("metric_query")
    metrics = 1.0
    if isinstance(queries, list) and queries:
        # A metric-math alarm is billed per metric it reads, not per expression.
        metrics = float(sum(1 for query in queries if isinstance(query, dict) and query.get("metric"))) or 1.0
    period = _number(attributes.get("period"))
    if period is not None and period < 60:
        return [CostLine(f"high-resolution alarm ({metrics:g} metrics)", metrics, metrics,
                         _missing(context, "high-resolution alarm"))]
    return [CostLine(f"alarm ({metrics:g} metric{'s' if metrics != 1 else ''})", metrics, metrics,
                     context.price("cloudwatch_alarm_metric_month"))]


def _log_group(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
               ) -> list[CostLine] | str:
    gb = _shared(context.usage.log_ingestion_gb, state, "aws_cloudwatch_log_group", context)
    return [_usage_line(context, "log ingestion", "cloudwatch_logs_ingested_gb", "log_ingestion_gb", gb)]


_BUCKET_KEY = re.compile(r"[^a-z0-9-]")


def _s3_bucket(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
               ) -> list[CostLine] | str:
    stored = context.usage.s3_storage_gb
    key = resource.index if isinstance(resource.index, str) else ""
    name = str(attributes.get("bucket") or "")
    gb = stored.get(key)
    if gb is None:
        gb = next((value for bucket_key, value in stored.items() if name.endswith(f"-{bucket_key}")), 0.0)
    return [_usage_line(context, "S3 Standard storage", "s3_standard_gb_month", "s3_storage_gb", gb)]


def _from_usage(label: str, product: str, key: str, unmeasured: str = "0: not measured") -> Rule:
    """A rule pricing one environment-wide usage assumption (`usage.KEY`) on each resource of a type."""
    def rule(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
             ) -> list[CostLine] | str:
        return [_usage_line(context, label, product, key, getattr(context.usage, key), unmeasured)]
    return rule


def _backup_vault(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                  ) -> list[CostLine] | str:
    gb = _shared(context.usage.backup_storage_gb, state, "aws_backup_vault", context)
    return [_usage_line(context, "backup storage (warm)", "backup_warm_storage_gb_month", "backup_storage_gb", gb)]


def _cloudtrail(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
                ) -> list[CostLine] | str:
    # The first copy of management events is free; only events of additional copies are billed.
    events = _shared(context.usage.cloudtrail_paid_events, state, "aws_cloudtrail", context) / 100_000
    return [_usage_line(context, "management events of additional trail copies", "cloudtrail_100k_management_events",
                        "cloudtrail_paid_events", events, "0: the first copy of management events is free")]


def _flow_log(attributes: dict[str, Any], resource: ResourceState, state: str, context: PricingContext
              ) -> list[CostLine] | str:
    if str(attributes.get("log_destination_type") or "cloud-watch-logs") != "cloud-watch-logs":
        return [CostLine("flow logs to S3", 0, 0, _missing(context, "vended logs to S3"), quantity_known=False)]
    gb = _shared(context.usage.flow_log_gb, state, "aws_flow_log", context)
    return [_usage_line(context, "flow logs delivered (vended logs)", "vended_logs_gb", "flow_log_gb", gb)]


RULES: dict[str, Rule] = {
    "aws_db_instance": _db_instance,
    "aws_rds_cluster": _from_usage("Aurora storage", "aurora_storage_gb_month", "aurora_storage_gb"),
    "aws_rds_cluster_instance": _rds_cluster_instance,
    "aws_elasticache_replication_group": _elasticache_replication_group,
    "aws_elasticache_cluster": _elasticache_cluster,
    "aws_ecs_service": _ecs_service,
    "aws_lb": _lb,
    "aws_nat_gateway": _nat_gateway,
    "aws_eip": _eip,
    "aws_vpc_endpoint": _vpc_endpoint,
    "aws_wafv2_web_acl": _waf,
    "aws_kms_key": _one("kms_key_month", "customer managed key"),
    "aws_secretsmanager_secret": _one("secret_month", "secret"),
    "aws_cloudwatch_metric_alarm": _alarm,
    "aws_cloudwatch_dashboard": _one("cloudwatch_dashboard_month", "dashboard"),
    "aws_cloudwatch_log_metric_filter": _one("cloudwatch_custom_metric_month", "custom metric"),
    "aws_cloudwatch_log_group": _log_group,
    "aws_s3_bucket": _s3_bucket,
    "aws_cloudfront_distribution": _from_usage("data transfer out", "cloudfront_data_out_gb", "cdn_data_out_gb"),
    "aws_lambda_function": _from_usage("compute", "lambda_gb_second", "lambda_gb_seconds",
                                       "0: runs only during deploys"),
    "aws_backup_vault": _backup_vault,
    "aws_cloudtrail": _cloudtrail,
    "aws_flow_log": _flow_log,
}


def price_resources(resources: list[ResourceState], context_for: Callable[[dict[str, Any], dict[str, Any]],
                    PricingContext]) -> list[ResourceCost]:
    """Price the planned and the prior state of every resource."""
    by_module: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {"before": defaultdict(list),
                                                                         "after": defaultdict(list)}
    counts: dict[str, dict[str, int]] = {"before": defaultdict(int), "after": defaultdict(int)}
    for resource in resources:
        for state in ("before", "after"):
            attributes = getattr(resource, state)
            if attributes is None:
                continue
            counts[state][resource.type] += 1
            if resource.type == "aws_db_instance" and attributes.get("replicate_source_db"):
                counts[state]["aws_db_instance replica"] += 1
            if resource.type in KEPT_ATTRIBUTES:
                by_module[state][(resource.module, resource.type)].append(
                    {**attributes, "__name": resource.address.rsplit(".", 1)[-1].split("[", 1)[0]})
    context = context_for(by_module, counts)
    costs: list[ResourceCost] = []
    for resource in resources:
        planned = _side(resource.after, resource, "after", context)
        prior = planned if resource.action == "no-op" else _side(resource.before, resource, "before", context)
        costs.append(ResourceCost(resource.address, resource.module, resource.type, resource.action, planned, prior))
    return costs


def _side(attributes: dict[str, Any] | None, resource: ResourceState, state: str, context: PricingContext
          ) -> Side | None:
    if attributes is None:
        return None
    if resource.type in context.book.free_types:
        return Side(free=True)
    rule = RULES.get(resource.type)
    if rule is None:
        return Side(not_priced=f"no price rule for {resource.type}")
    result = rule(attributes, resource, state, context)
    if result == "free":
        return Side(free=True)
    if isinstance(result, str):
        return Side(not_priced=result)
    return Side(lines=result)
