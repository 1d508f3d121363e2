"""Drift reports from plan JSON (no terraform run) and the `toolkit drift` argument errors.

sandbox_refresh_only.json is real: `terraform plan -refresh-only` (1.0.3, AWS provider 3.39) of the
sandbox on the emulator after an alarm threshold and a bucket tag were changed with boto3. Terraform
1.0.3 also lists ten untouched resources there (a null that became an empty list or map) and the
parameter group whose parameters moto does not return (ignored by the root's lifecycle block).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.drift.conftest import REPO
from toolkit.cli import app
from toolkit.drift import MARKDOWN_LIMIT, _ignore_path, read_drift, render_json, render_markdown

FIXTURE = Path(__file__).parent / "fixtures" / "sandbox_refresh_only.json"
SANDBOX_ROOT = REPO / "examples" / "sandbox"


def test_real_refresh_only_plan_reports_only_real_drift() -> None:
    report = read_drift(FIXTURE, "sandbox", SANDBOX_ROOT)

    assert report.exit_code == 2
    assert [(r.address, r.action, [(d.path, d.before, d.after) for d in r.attributes]) for r in report.resources] == [
        ("aws_cloudwatch_metric_alarm.app_cpu_high", "update", [("threshold", "80", "95")]),
        ('aws_s3_bucket.this["uploads"]', "update", [("tags.owner", "null", '"someone-by-hand"'),
                                                     ("tags_all.owner", "null", '"someone-by-hand"')]),
    ]
    raw = json.loads(FIXTURE.read_text())
    assert len(raw["resource_drift"]) == 12, "the fixture keeps Terraform's noisy entries"


def test_ignore_changes_needs_the_root_module() -> None:
    without_root = read_drift(FIXTURE, "sandbox")
    assert "aws_db_parameter_group.this" in [resource.address for resource in without_root.resources]


def test_json_report_uses_the_review_schema() -> None:
    document = render_json(read_drift(FIXTURE, "sandbox", SANDBOX_ROOT))

    assert (document["kind"], document["environment"], document["drifted"], document["exit_code"]) == (
        "drift", "sandbox", True, 2)
    assert document["schema_version"] == 1
    assert document["summary"]["drift"] == 2
    assert [entry["address"] for entry in document["drift"]] == [
        "aws_cloudwatch_metric_alarm.app_cpu_high", 'aws_s3_bucket.this["uploads"]']
    assert document["drift"][0]["attributes"] == [{"path": "threshold", "before": "80", "after": "95"}]
    assert document["summary_line"] == "Drift in sandbox: 2 resources changed outside Terraform."


def test_markdown_report_has_the_marker_and_attribute_tables() -> None:
    markdown = render_markdown(read_drift(FIXTURE, "sandbox", SANDBOX_ROOT))

    lines = markdown.splitlines()
    assert lines[:4] == ["<!-- toolkit-drift:sandbox -->", "## Drift check: `sandbox`", "",
                         "**Drift in sandbox: 2 resources changed outside Terraform.**"]
    assert "- `aws_cloudwatch_metric_alarm.app_cpu_high` — changed outside Terraform" in lines
    assert "  | <code>threshold</code> | <code>80</code> | <code>95</code> |" in lines
    assert "emulator-only-password" not in markdown


def synthetic_plan(tmp_path: Path, count: int, value_size: int) -> Path:
    drift = [{
        "address": f"aws_s3_bucket.b{index}", "mode": "managed", "type": "aws_s3_bucket", "name": f"b{index}",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["update"], "before": {"tags": {"a": "x" * value_size}},
                   "after": {"tags": {"a": "y" * value_size}}, "before_sensitive": {}, "after_sensitive": {}},
    } for index in range(count)]
    drift.append({
        "address": "aws_s3_bucket.gone", "mode": "managed", "type": "aws_s3_bucket", "name": "gone",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["delete"], "before": {"bucket": "gone"}, "after": None,
                   "before_sensitive": {}, "after_sensitive": False},
    })
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format_version": "0.2", "terraform_version": "1.0.3", "planned_values": {},
                                "resource_drift": drift}))
    return path


def test_markdown_stays_within_githubs_limit(tmp_path: Path) -> None:
    report = read_drift(synthetic_plan(tmp_path, 400, 400), "prod")

    markdown = render_markdown(report)

    assert len(markdown) <= MARKDOWN_LIMIT
    assert "Drift in prod: 401 resources changed outside Terraform." in markdown
    assert "run `toolkit drift prod` locally" in markdown


def test_resource_deleted_outside_terraform_is_drift(tmp_path: Path) -> None:
    report = read_drift(synthetic_plan(tmp_path, 0, 1), "dev")
    assert [(r.address, r.action) for r in report.resources] == [("aws_s3_bucket.gone", "delete")]
    assert "- `aws_s3_bucket.gone` — deleted outside Terraform" in render_markdown(report)


def test_ignore_changes_of_local_modules(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "modules" / "store").mkdir(parents=True)
    (root / "main.tf").write_text('module "store" {\n  source = "./modules/store"\n}\n')
    (root / "modules" / "store" / "main.tf").write_text(
        'resource "aws_s3_bucket" "this" {\n  bucket = "x"\n  lifecycle {\n'
        '    ignore_changes = [tags["owner"], versioning]\n  }\n}\n'
        'resource "aws_s3_bucket" "all" {\n  bucket = "y"\n  lifecycle {\n    ignore_changes = all\n  }\n}\n')
    change = {"actions": ["update"], "before_sensitive": {}, "after_sensitive": {},
              "before": {"tags": {"owner": "a", "team": "a"}, "versioning": [{"enabled": False}]},
              "after": {"tags": {"owner": "b", "team": "b"}, "versioning": [{"enabled": True}]}}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "format_version": "0.2", "planned_values": {},
        "resource_drift": [
            {"address": f'module.store["{key}"].aws_s3_bucket.{name}', "module_address": f'module.store["{key}"]',
             "mode": "managed", "type": "aws_s3_bucket", "name": name, "change": change}
            for key in ("a", "b") for name in ("this", "all")],
        "configuration": {"root_module": {"module_calls": {"store": {"source": "./modules/store", "module": {}}}}},
    }))

    report = read_drift(plan, "dev", root)

    assert [(r.address, [d.path for d in r.attributes]) for r in report.resources] == [
        ('module.store["a"].aws_s3_bucket.this', ["tags.team"]),
        ('module.store["b"].aws_s3_bucket.this', ["tags.team"]),
    ]


@pytest.mark.parametrize(("expression", "path"), [
    ("parameter", "parameter"),
    ('${tags["Name"]}', "tags.Name"),
    ("${tags.Owner}", "tags.Owner"),
    ('${tags["a.b"]}', 'tags["a.b"]'),
    ("${ingress[0].cidr_blocks}", "ingress[0].cidr_blocks"),
    ("${1 + 2}", None),
])
def test_ignore_changes_paths(expression: str, path: str | None) -> None:
    assert _ignore_path(expression) == path


# CLI argument and settings errors: exact text, nothing run, nothing written.


@pytest.mark.parametrize(("args", "exit_code", "message"), [
    (["drift"], 1, "Error: name an environment (toolkit drift ENV) or pass --all"),
    (["drift", "nope"], 1, "Error: unknown environment 'nope': no envs/nope.yaml (environments: sandbox)"),
    (["drift", "sandbox", "--all"], 1, "Error: give environment names or --all, not both"),
    (["drift", "sandbox", "--post", "github"], 1,
     "Error: no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"),
    (["drift", "sandbox", "--post", "github", "--repo", "acme/infra"], 1,
     "Error: GITHUB_TOKEN is not set: export a token with issues and pull-requests write access"),
    (["drift", "sandbox", "--post", "github", "--repo", "not-a-repo"], 1,
     "Error: repository 'not-a-repo' is not of the form OWNER/NAME"),
])
def test_bad_arguments(usage_project: Path, args: list[str], exit_code: int, message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == exit_code, result.output
    assert result.output.strip().splitlines()[-1] == message
    assert not (usage_project / ".toolkit").exists()
    assert not (usage_project / "build").exists()
