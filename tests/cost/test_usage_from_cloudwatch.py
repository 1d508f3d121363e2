"""`toolkit cost ENV --usage-from cloudwatch`: usage read with boto3 from the emulator's CloudWatch (moto
server on 127.0.0.1), written beside the environment with the metric each value came from."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from toolkit.cli import app

pytestmark = pytest.mark.slow

PREFIX = "edu-platform-staging"


def cost(*args: str) -> Any:
    result = CliRunner().invoke(app, ["cost", *args])
    assert "Traceback" not in result.output, result.output
    return result


def put_daily(client: Any, namespace: str, name: str, dimensions: dict[str, str], values: list[float],
              unit: str = "Count") -> None:
    """One datapoint a day for the last len(values) days, as AWS publishes them (the metric's own dimensions)."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    client.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": name, "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
         "Timestamp": today - timedelta(days=day), "Value": value, "Unit": unit}
        for day, value in enumerate(values)])


@pytest.fixture
def cloudwatch(moto_environment: Any, project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # Each test has its own project name, so the one session emulator's metrics never mix between tests.
    return moto_environment.client("cloudwatch")


def isolate(project_dir: Path, name: str) -> str:
    defaults = project_dir / "envs" / "defaults.yaml"
    defaults.write_text(defaults.read_text(encoding="utf-8").replace("project: edu-platform", f"project: {name}", 1),
                        encoding="utf-8")
    return f"{name}-staging"


def test_usage_is_read_written_with_its_metrics_and_priced(cloudwatch: Any, project_dir: Path,
                                                            env_plan: Any) -> None:
    prefix = isolate(project_dir, "cw-read")
    saved = project_dir / ".toolkit" / "envs" / "staging" / "plans" / "latest"
    saved.mkdir(parents=True)
    env_plan("staging").rename(saved / "plan.json")
    balancer = f"app/{prefix}/0123456789abcdef"
    put_daily(cloudwatch, "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": balancer}, [144_000.0] * 10)
    put_daily(cloudwatch, "AWS/ApplicationELB", "ConsumedLCUs", {"LoadBalancer": balancer}, [1.5, 2.5] * 5)
    put_daily(cloudwatch, "AWS/Logs", "IncomingBytes", {"LogGroupName": f"/ecs/{prefix}"}, [1024 ** 3] * 10,
              "Bytes")
    put_daily(cloudwatch, "AWS/S3", "BucketSizeBytes",
              {"BucketName": f"{prefix}-uploads", "StorageType": "StandardStorage"}, [50 * 1024 ** 3] * 10, "Bytes")
    put_daily(cloudwatch, "ECS/ContainerInsights", "RunningTaskCount",
              {"ClusterName": prefix, "ServiceName": prefix}, [2.0, 3.0, 4.0] + [3.0] * 7)
    # Another environment's load balancer is not read.
    put_daily(cloudwatch, "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": "app/someone-else/1"}, [9e9])

    result = cost("staging", "--usage-from", "cloudwatch", "--days", "10", "--format", "json")
    assert result.exit_code == 0, result.output
    written = project_dir / "envs" / "staging.usage.yml"
    assert f"Wrote 5 usage values from CloudWatch (10 days) to {written}" in result.stderr
    document = yaml.safe_load(written.read_text(encoding="utf-8"))
    usage = document["usage"]
    assert usage["requests_per_minute"] == 100.0  # 144,000 a day ÷ 1,440 minutes
    assert usage["alb_lcu"] == 2.0
    assert usage["log_ingestion_gb"] == pytest.approx(730 / 24, abs=0.01)  # 1 GiB a day, a 730-hour month
    assert usage["s3_storage_gb"] == {"uploads": 50.0}
    assert usage["fargate_average_tasks"] == {"low": 2.0, "high": 4.0}
    assert document["metrics"]["requests_per_minute"].startswith("AWS/ApplicationELB RequestCount (Sum of 10 daily")
    assert f"LoadBalancer={balancer}" in document["metrics"]["requests_per_minute"]
    assert "someone-else" not in written.read_text(encoding="utf-8")
    text = written.read_text(encoding="utf-8")
    assert "  # AWS/Logs IncomingBytes" in text and "nat_processed_gb (AWS/NATGateway" in text

    report = json.loads(result.stdout)
    assert report["usage"]["requests_per_minute"] == 100.0
    assert report["usage_source"] == "envs/staging.yaml + envs/staging.usage.yml (measured in CloudWatch)"
    lcu = next(line for item in report["resources"] if item["type"] == "aws_lb"
               for line in item["planned"]["lines"] if line["usage_key"] == "usage.alb_lcu")
    assert lcu["quantity"] == [1460.0, 1460.0]  # 2 LCUs × 730 hours


def test_no_data_is_a_clear_message_and_writes_nothing(cloudwatch: Any, project_dir: Path) -> None:
    prefix = isolate(project_dir, "cw-empty")
    result = cost("staging", "--usage-from", "cloudwatch")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: CloudWatch in sa-east-1 has no data for staging over the last 30 days "
                                    f"(resources named {prefix}-*; looked for: requests_per_minute")
    assert "nothing written" in result.stderr
    assert not (project_dir / "envs" / "staging.usage.yml").exists()


def test_no_credentials_is_a_clear_message_and_writes_nothing(project_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # boto3 keeps the credentials an earlier test resolved
    result = cost("staging", "--usage-from", "cloudwatch")
    assert result.exit_code == 1, result.output
    assert "cloudwatch list_metrics AWS/ApplicationELB RequestCount: no AWS credentials found" in result.stderr
    assert not (project_dir / "envs" / "staging.usage.yml").exists()


def test_a_broken_usage_file_is_an_error_naming_it(project_dir: Path) -> None:
    written = project_dir / "envs" / "staging.usage.yml"
    written.write_text("usage:\n  alb_lcu: .inf\n", encoding="utf-8")
    result = cost(str(project_dir / "missing.json"), "-e", "staging")
    assert result.exit_code == 1
    from toolkit.cost.service import environment_facts

    with pytest.raises(Exception, match=r"envs/staging.usage.yml: usage.alb_lcu: must be a finite number"):
        environment_facts("staging")


def test_only_cloudwatch_and_sane_days(project_dir: Path) -> None:
    assert "the only source is cloudwatch" in cost("staging", "--usage-from", "prometheus").stderr
    for days in ("0", "100000"):
        refused = cost("staging", "--usage-from", "cloudwatch", "--days", days)
        assert refused.exit_code != 0 and "Invalid value for '--days'" in refused.output


def test_negative_datapoints_are_not_usage(cloudwatch: Any, project_dir: Path) -> None:
    prefix = isolate(project_dir, "cw-negative")
    put_daily(cloudwatch, "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": f"app/{prefix}/1"}, [-1e9, -5.0])
    result = cost("staging", "--usage-from", "cloudwatch", "--days", "5")
    assert result.exit_code == 1 and "has no data for staging" in result.stderr, result.output
    assert not (project_dir / "envs" / "staging.usage.yml").exists()


@pytest.mark.parametrize(("text", "shown"), [
    ("usage:\n  alb_lcu: 1\n  alb_lcu: 2\n", "alb_lcu"),
    ("usage: [1, 2]\n", "a usage file holds a `usage:` mapping"),
    ("usage:\n  alb_lcu: -4\n", "usage.alb_lcu: must be between 0 and 1e+12"),
    ("usage:\n  no_such_key: 4\n", "usage.no_such_key: Extra inputs are not permitted"),
    ("# big\n" + "#" * 300_000 + "\nusage: {}\n", "this one is over 256 KB"),
])
def test_a_hostile_usage_file_is_refused_naming_it(project_dir: Path, text: str, shown: str) -> None:
    from toolkit.cost.service import environment_facts
    from toolkit.errors import ToolkitError

    (project_dir / "envs" / "staging.usage.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ToolkitError) as raised:
        environment_facts("staging")
    assert "staging.usage.yml" in str(raised.value) and shown in str(raised.value), str(raised.value)
