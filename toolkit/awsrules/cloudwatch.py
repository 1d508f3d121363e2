"""CloudWatch alarms: in AWS's own namespaces, the metric and the dimension names must be ones AWS publishes. The
API accepts any name, so a typo is an alarm that stays INSUFFICIENT_DATA forever: the rule refuses it instead."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources as package_files
from typing import Any

import yaml

from toolkit.awsrules.base import UNKNOWN, Problem, Resource, Rule, Source

ALARMS = Source("CloudWatch User Guide: alarms on metrics that do not exist stay INSUFFICIENT_DATA",
                "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html")


@cache
def catalogue() -> dict[str, Any]:
    text = package_files.files("toolkit.awsrules").joinpath("data/cloudwatch_metrics.yaml").read_text("utf-8")
    return {namespace: {"source": entry["source"], "metrics": frozenset(entry["metrics"]),
                        "dimensions": frozenset(entry["dimensions"])}
            for namespace, entry in yaml.safe_load(text).items()}


def _check_metric(where: str, namespace: Any, metric: Any, dimensions: Any) -> Iterator[Problem]:
    entry = catalogue().get(namespace) if isinstance(namespace, str) else None
    if entry is None:
        return  # a custom namespace (or unknown): anything goes
    if isinstance(metric, str) and metric not in entry["metrics"]:
        close = sorted(name for name in entry["metrics"] if name.lower() == metric.lower())
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        yield Problem(f'{where}metric "{metric}" does not exist in {namespace}{hint}: the alarm would never leave '
                      f"INSUFFICIENT_DATA; use a metric listed at {entry['source']}")
    if isinstance(dimensions, dict):
        for name in dimensions:
            if name not in entry["dimensions"]:
                yield Problem(f'{where}dimension "{name}" is not a dimension of {namespace} '
                              f"({', '.join(sorted(entry['dimensions']))}): the alarm would match no data; fix "
                              "the dimension name")


def check_alarm_metrics(resource: Resource, view: Any) -> Iterator[Problem]:
    dimensions = resource.get("dimensions")
    yield from _check_metric("", resource.get("namespace"), resource.get("metric_name"),
                             None if dimensions is UNKNOWN else dimensions)
    for query in resource.blocks("metric_query"):
        for metric in query.get("metric") or []:
            if isinstance(metric, dict):
                yield from _check_metric(f'metric_query "{query.get("id")}": ', metric.get("namespace"),
                                         metric.get("metric_name"), metric.get("dimensions"))


def _sources() -> tuple[Source, ...]:
    return (ALARMS, *(Source(f"{namespace} metrics", entry["source"]) for namespace, entry in catalogue().items()))


RULES = (
    Rule("AWS-CW-001", "Alarm metrics and dimensions exist in AWS's namespaces", ("aws_cloudwatch_metric_alarm",),
         _sources(), check_alarm_metrics),
)
