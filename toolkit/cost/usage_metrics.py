"""`toolkit cost ENV --usage-from cloudwatch [--days 30]`: the usage assumptions, read from CloudWatch.

Each value is read from one metric over the last DAYS days (daily datapoints), scaled to a 730-hour
month, and written with the metric it came from into envs/ENV.usage.yml, beside the environment file.
That file then overrides the keys it names in `usage:` of envs/ENV.yaml for `toolkit cost` (and says so).
No credentials, an API error or no data at all: a clear message and nothing written. Resources are found
by the environment's name prefix (`<project>-<environment>`), the prefix the modules give every name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import ConfigError, ToolkitError

USAGE_FILE_SUFFIX = ".usage.yml"  # not *.yaml: envs/*.yaml are the environments
HOURS_PER_MONTH = 730
GIB = 1024 ** 3
MAX_DAYS = 365
_DAY = 86400


class NoUsageDataError(ToolkitError):
    """CloudWatch answered, but holds none of the metrics for this environment."""


@dataclass(frozen=True)
class Reading:
    key: str
    value: Any
    metric: str  # namespace, metric name, statistic and dimensions: where the value came from


@dataclass
class UsageFromMetrics:
    environment: str
    region: str
    days: int
    read_at: str
    readings: list[Reading] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def usage_file(project: Any, environment: str) -> Path:
    return project.envs_dir / f"{environment}{USAGE_FILE_SUFFIX}"


def _monthly(total: float, days: int) -> float:
    return total / days * HOURS_PER_MONTH / 24


def _dimensions_text(dimensions: list[dict[str, str]]) -> str:
    return ", ".join(f"{item['Name']}={item['Value']}" for item in dimensions)


class _Reader:
    def __init__(self, client: Any, days: int, now: datetime) -> None:
        self.client, self.days = client, days
        end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        self.start, self.end = end - timedelta(days=days), end

    def metrics(self, namespace: str, name: str, accept: Callable[[dict[str, str]], bool]
                ) -> list[list[dict[str, str]]]:
        """The dimension sets of metric `name` that `accept` keeps (dimension name -> value)."""
        from toolkit.aws import aws_errors

        found: list[list[dict[str, str]]] = []
        seen: set[tuple[tuple[str, str], ...]] = set()
        request: dict[str, Any] = {"Namespace": namespace, "MetricName": name}
        with aws_errors(f"cloudwatch list_metrics {namespace} {name}"):
            while True:
                page = self.client.list_metrics(**request)
                for metric in page.get("Metrics") or []:
                    dimensions = metric.get("Dimensions") or []
                    identity = tuple(sorted((item["Name"], item["Value"]) for item in dimensions))
                    # One metric is listed once per dimension set, however often a listing repeats it.
                    if identity not in seen and accept(dict(identity)):
                        seen.add(identity)
                        found.append(dimensions)
                token = page.get("NextToken")
                if not token:
                    return found
                request["NextToken"] = token

    def daily(self, namespace: str, name: str, dimensions: list[dict[str, str]], statistic: str) -> list[float]:
        from toolkit.aws import aws_errors

        with aws_errors(f"cloudwatch get_metric_statistics {namespace} {name}"):
            answer = self.client.get_metric_statistics(
                Namespace=namespace, MetricName=name, Dimensions=dimensions, StartTime=self.start,
                EndTime=self.end, Period=_DAY, Statistics=[statistic])
        values = [point.get(statistic) for point in answer.get("Datapoints") or []]
        return [float(value) for value in values if isinstance(value, int | float) and value == value
                and abs(value) != float("inf") and value >= 0]


def read_usage(environment: str, name_prefix: str, region: str, bucket_keys: list[str], cluster_names: list[str],
               *, days: int = 30, client: Any = None, now: datetime | None = None) -> UsageFromMetrics:
    """Read every usage assumption CloudWatch can answer for the environment's resources."""
    from toolkit.aws import aws_client

    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"--days {days}: must be between 1 and {MAX_DAYS}")
    now = now or datetime.now(UTC)
    reader = _Reader(client or aws_client("cloudwatch", region=region), days, now)
    result = UsageFromMetrics(environment, region, days, now.isoformat(timespec="seconds"))
    period = f"Sum of {days} daily datapoints"

    def ours(value: str | None) -> bool:
        return isinstance(value, str) and (value.startswith(name_prefix) or f"/{name_prefix}" in value)

    # ALB requests and capacity units: the load balancer's name starts with the prefix (app/<name>/<id>).
    balancers = reader.metrics("AWS/ApplicationELB", "RequestCount",
                               lambda d: set(d) == {"LoadBalancer"} and ours(d["LoadBalancer"]))
    requests = [sum(reader.daily("AWS/ApplicationELB", "RequestCount", dims, "Sum")) for dims in balancers]
    if balancers and any(requests):
        per_minute = sum(requests) / (days * 24 * 60)
        result.readings.append(Reading("requests_per_minute", round(per_minute, 3),
                                       f"AWS/ApplicationELB RequestCount ({period}) ÷ {days * 24 * 60} minutes; "
                                       + "; ".join(_dimensions_text(d) for d in balancers)))
    else:
        result.missing.append("requests_per_minute (AWS/ApplicationELB RequestCount)")
    lcus = [value for dims in balancers for value in reader.daily("AWS/ApplicationELB", "ConsumedLCUs", dims,
                                                                  "Average")]
    if lcus:
        result.readings.append(Reading("alb_lcu", round(sum(lcus) / len(lcus), 3),
                                       f"AWS/ApplicationELB ConsumedLCUs (Average of {len(lcus)} daily "
                                       f"datapoints); " + "; ".join(_dimensions_text(d) for d in balancers)))
    else:
        result.missing.append("alb_lcu (AWS/ApplicationELB ConsumedLCUs)")

    # CloudWatch Logs ingestion of the environment's log groups (/<prefix>/…, /ecs/<prefix>…, /aws/…/<prefix>…).
    groups = reader.metrics("AWS/Logs", "IncomingBytes",
                            lambda d: set(d) == {"LogGroupName"} and ours(d["LogGroupName"]))
    ingested = [sum(reader.daily("AWS/Logs", "IncomingBytes", dims, "Sum")) for dims in groups]
    if groups and any(ingested):
        result.readings.append(Reading("log_ingestion_gb", round(_monthly(sum(ingested) / GIB, days), 3),
                                       f"AWS/Logs IncomingBytes ({period}, scaled to {HOURS_PER_MONTH} hours) over "
                                       f"{len(groups)} log groups: " + ", ".join(d[0]["Value"] for d in groups)))
    else:
        result.missing.append("log_ingestion_gb (AWS/Logs IncomingBytes)")

    # NAT gateways carry only their id: the gateways named in `nat_gateway_ids`, else every one in the region.
    gateways = reader.metrics("AWS/NATGateway", "BytesOutToDestination", lambda d: set(d) == {"NatGatewayId"})
    processed = [sum(reader.daily("AWS/NATGateway", metric, dims, "Sum"))
                 for dims in gateways for metric in ("BytesOutToDestination", "BytesInFromDestination")]
    if gateways and any(processed):
        result.readings.append(Reading("nat_processed_gb", round(_monthly(sum(processed) / GIB, days), 3),
                                       f"AWS/NATGateway BytesOutToDestination + BytesInFromDestination ({period}, "
                                       f"scaled to {HOURS_PER_MONTH} hours); every NAT gateway of the region: "
                                       + ", ".join(d[0]["Value"] for d in gateways)))
    else:
        result.missing.append("nat_processed_gb (AWS/NATGateway BytesOutToDestination)")

    # S3 Standard storage per bucket key: the bucket's name ends with -<key>.
    sizes: dict[str, float] = {}
    sources: list[str] = []
    for key in bucket_keys:
        buckets = reader.metrics("AWS/S3", "BucketSizeBytes",
                                 lambda d, key=key: d.get("StorageType") == "StandardStorage"
                                 and str(d.get("BucketName", "")).startswith(name_prefix)
                                 and str(d.get("BucketName", "")).endswith(f"-{key}"))
        for dims in buckets:
            daily = reader.daily("AWS/S3", "BucketSizeBytes", dims, "Average")
            if daily:
                sizes[key] = round(sizes.get(key, 0.0) + sum(daily) / len(daily) / GIB, 3)
                sources.append(_dimensions_text(dims))
    if sizes:
        result.readings.append(Reading("s3_storage_gb", sizes, "AWS/S3 BucketSizeBytes (Average of daily "
                                       "datapoints, StandardStorage); " + "; ".join(sources)))
    else:
        result.missing.append("s3_storage_gb (AWS/S3 BucketSizeBytes)")

    # Running Fargate tasks (Container Insights): the lowest and highest daily average.
    tasks: list[float] = []
    services: list[list[dict[str, str]]] = []
    for cluster in cluster_names:
        found = reader.metrics("ECS/ContainerInsights", "RunningTaskCount",
                               lambda d, cluster=cluster: d.get("ClusterName") == cluster and "ServiceName" in d)
        services += found
        for dims in found:
            tasks += reader.daily("ECS/ContainerInsights", "RunningTaskCount", dims, "Average")
    if tasks:
        result.readings.append(Reading("fargate_average_tasks", {"low": round(min(tasks), 3),
                                                                 "high": round(max(tasks), 3)},
                                       f"ECS/ContainerInsights RunningTaskCount (lowest and highest of {len(tasks)} "
                                       "daily averages); " + "; ".join(_dimensions_text(d) for d in services)))
    else:
        result.missing.append("fargate_average_tasks (ECS/ContainerInsights RunningTaskCount)")
    return result


def render_usage_file(result: UsageFromMetrics, command: str) -> str:
    lines = [f"# Written by `{command}` at {result.read_at}.",
             f"# Usage measured in CloudWatch ({result.region}) over the last {result.days} days, per 730-hour month;",
             "# `toolkit cost` uses these values instead of the same keys of usage: in the environment file.",
             "# Delete this file to go back to those assumptions.",
             "usage:"]
    for reading in result.readings:
        lines.append(f"  # {reading.metric}")
        value = yaml.safe_dump(reading.value, default_flow_style=True, width=10_000).strip().removesuffix("\n...")
        lines.append(f"  {reading.key}: {value.strip()}")
    lines.append("metrics:")
    for reading in result.readings:
        metric = yaml.safe_dump(reading.metric, width=10_000).strip().removesuffix("...").strip()
        lines.append(f"  {reading.key}: {metric}")
    if result.missing:
        lines.append("# No data (kept from the environment file): " + "; ".join(result.missing))
    return "\n".join(lines) + "\n"


def write_usage_from_cloudwatch(environment: str, *, days: int = 30, client: Any = None,
                                now: datetime | None = None) -> tuple[Path, UsageFromMetrics]:
    """Read the environment's usage from CloudWatch and write envs/ENV.usage.yml (nothing when no data)."""
    from toolkit.config import load_environment
    from toolkit.files import write_atomically
    from toolkit.project import Project

    project = Project.discover()
    settings = load_environment(project, environment).settings
    prefix = f"{settings.project}-{environment}"
    result = read_usage(environment, prefix, settings.aws_region, sorted(settings.storage.buckets),
                        [prefix], days=days, client=client, now=now)
    if not result.readings:
        raise NoUsageDataError(
            f"CloudWatch in {settings.aws_region} has no data for {environment} over the last {days} days "
            f"(resources named {prefix}-*; looked for: {'; '.join(result.missing)}): nothing written")
    text = render_usage_file(result, f"toolkit cost {environment} --usage-from cloudwatch --days {days}")
    path = usage_file(project, environment)
    # What is written must read back as a valid usage section before it replaces anything.
    merged_usage(settings.usage, yaml.safe_load(text), path)
    write_atomically(path, text)
    return path, result


def merged_usage(usage: Any, document: Any, path: Path) -> Any:
    """The environment's usage with the usage file's values over it, validated like the environment file."""
    from pydantic import ValidationError

    from toolkit.config.model import UsageSettings

    if not isinstance(document, dict) or not isinstance(document.get("usage"), dict):
        raise ConfigError(f"{path}: a usage file holds a `usage:` mapping (written by --usage-from cloudwatch)")
    try:
        return UsageSettings.model_validate({**usage.model_dump(exclude_unset=False), **document["usage"]})
    except ValidationError as error:
        item = error.errors()[0]
        where = ".".join(str(part) for part in item["loc"])
        raise ConfigError(f"{path}: usage.{where}: {item['msg'].removeprefix('Value error, ')}") from None
