"""`toolkit drift` end to end: apply the sandbox to the moto emulator, change resources behind
Terraform's back with boto3, see the drift reported attribute by attribute (exit 2) and posted as a
GitHub issue, put the resources back, see it clear (exit 0) and the issue closed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from tests.drift.conftest import SANDBOX_ENVIRONMENT, Emulator, apply_sandbox, make_project, project_environment
from tests.support.fake_github import FakeGitHub
from toolkit.cli import app

pytestmark = pytest.mark.slow

CANARY_TOKEN = "ghs_CANARY_drift_7c1e0b5a9d"
BUCKET = "edu-platform-sandbox-uploads"
ALARM = "edu-platform-sandbox-app-cpu-high"
@dataclass(frozen=True)
class Sandbox:
    root: Path
    environment: dict[str, str]
    emulator: Emulator

    def client(self, service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, endpoint_url=self.emulator.url, region_name="sa-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def set_alarm_threshold(self, threshold: float) -> None:
        cloudwatch = self.client("cloudwatch")
        alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
        kept = {key: alarm[key] for key in ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Statistic",
                                            "ComparisonOperator", "Period", "EvaluationPeriods", "Dimensions",
                                            "TreatMissingData")}
        cloudwatch.put_metric_alarm(**kept, Threshold=threshold)

    def bucket_tags(self) -> list[dict[str, str]]:
        return self.client("s3").get_bucket_tagging(Bucket=BUCKET)["TagSet"]

    def set_bucket_tags(self, tags: list[dict[str, str]]) -> None:
        self.client("s3").put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": tags})


@pytest.fixture(scope="module")
def sandbox(drift_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    root = make_project(tmp_path_factory.mktemp("drift") / "project", {"sandbox": SANDBOX_ENVIRONMENT})
    environment = project_environment(root, drift_emulator.url)
    apply_sandbox(root, environment)
    return Sandbox(root, environment, drift_emulator)


def run_drift(sandbox: Sandbox, *args: str, github: FakeGitHub | None = None):  # type: ignore[no-untyped-def]
    env = dict(sandbox.environment)
    if github is not None:
        env.update({"GITHUB_TOKEN": CANARY_TOKEN, "GITHUB_REPOSITORY": github.repository,
                    "GITHUB_API_URL": github.url})
    return CliRunner().invoke(app, ["drift", *args], env=env)


def test_drift_is_reported_posted_and_cleared(sandbox: Sandbox, fake_github: FakeGitHub) -> None:
    fake_github.state.token = CANARY_TOKEN

    clean = run_drift(sandbox, "sandbox", "--quiet")
    assert clean.exit_code == 0, clean.output
    assert clean.output == "No drift in sandbox: the real infrastructure matches the Terraform state.\n"

    # The tags Terraform applied (the root's and the environment's): put back as they were, they are no drift.
    managed_tags = sandbox.bucket_tags()
    assert {"Key": "team", "Value": "sandbox"} in managed_tags
    sandbox.set_alarm_threshold(95.0)
    sandbox.set_bucket_tags([*managed_tags, {"Key": "owner", "Value": "someone-by-hand"}])

    drifted = run_drift(sandbox, "sandbox", "--quiet", "--format", "json", "--post", "github", github=fake_github)
    assert drifted.exit_code == 2, drifted.output
    report = json.loads(drifted.stdout)
    assert (report["kind"], report["environment"], report["drifted"], report["exit_code"]) == (
        "drift", "sandbox", True, 2)
    by_address = {entry["address"]: entry for entry in report["drift"]}
    assert sorted(by_address) == ['aws_cloudwatch_metric_alarm.app_cpu_high', 'aws_s3_bucket.this["uploads"]']
    assert _attributes(by_address, "aws_cloudwatch_metric_alarm") == [
        {"path": "threshold", "before": "80", "after": "95"}]
    assert {"path": "tags.owner", "before": "null", "after": '"someone-by-hand"'} in _attributes(
        by_address, "aws_s3_bucket")

    issues = fake_github.issues_with_label("drift")
    assert len(issues) == 1
    issue = issues[0]
    assert (issue["title"], issue["state"]) == ("Drift detected in sandbox", "open")
    assert issue["body"].startswith("<!-- toolkit-drift:sandbox -->\n## Drift check: `sandbox`")
    assert "| <code>threshold</code> | <code>80</code> | <code>95</code> |" in issue["body"]
    assert report["posted"] == {"action": "opened", "issue_number": issue["number"], "url": issue["html_url"]}

    markdown = run_drift(sandbox, "sandbox", "--quiet", "--format", "md")
    assert markdown.exit_code == 2, markdown.output
    assert markdown.stdout.splitlines()[0] == "<!-- toolkit-drift:sandbox -->"
    assert '<code>tags.owner</code> | <code>null</code> | <code>"someone-by-hand"</code>' in markdown.stdout
    # The sandbox database password is a sensitive variable: it must never reach a report.
    assert "emulator-only-password" not in markdown.stdout + drifted.stdout

    sandbox.set_alarm_threshold(80.0)
    sandbox.set_bucket_tags(managed_tags)

    cleared = run_drift(sandbox, "sandbox", "--post", "github", github=fake_github)
    assert cleared.exit_code == 0, cleared.output
    assert "No drift in sandbox" in cleared.stdout
    assert f"GitHub: closed drift issue #{issue['number']}: drift is gone" in cleared.stdout
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert "No drift in **sandbox** any more" in fake_github.comments_on(issue["number"])[-1]["body"]

    for result in (drifted, markdown, cleared):
        assert CANARY_TOKEN not in result.output
    assert {request.authorization for request in fake_github.requests} == {f"Bearer {CANARY_TOKEN}"}


def _attributes(by_address: dict, resource_type: str) -> list[dict[str, str]]:
    entry = next(value for address, value in by_address.items() if address.startswith(resource_type))
    return [{"path": diff["path"], "before": diff["before"], "after": diff["after"]} for diff in entry["attributes"]]


def test_all_environments_in_one_run(sandbox: Sandbox) -> None:
    # A second environment with nothing applied: its refresh-only plan has nothing to compare.
    (sandbox.root / "envs" / "empty.yaml").write_text(SANDBOX_ENVIRONMENT.replace("team: sandbox", "team: empty"))
    sandbox.set_alarm_threshold(70.0)
    try:
        result = run_drift(sandbox, "--all", "--quiet", "--format", "json")
    finally:
        sandbox.set_alarm_threshold(80.0)
        (sandbox.root / "envs" / "empty.yaml").unlink()

    assert result.exit_code == 2, result.output
    documents = {document["environment"]: document for document in json.loads(result.stdout)}
    assert {name: document["drifted"] for name, document in documents.items()} == {"empty": False, "sandbox": True}
    assert [entry["address"] for entry in documents["sandbox"]["drift"]] == [
        "aws_cloudwatch_metric_alarm.app_cpu_high"]
