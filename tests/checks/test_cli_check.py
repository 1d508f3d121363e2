"""`toolkit check` through the CLI: selection, summary table, JSON, exit codes, README rewriting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import app

from .conftest import write_files

GOOD_MODULE = {
    "envs/defaults.yaml": "# Shared defaults.\n# Test project.\n{}\n",
    "modules/queue/variables.tf": 'variable "name" {\n  description = "Queue name."\n  type        = string\n}\n',
    "modules/queue/main.tf": 'resource "aws_sqs_queue" "this" {\n  name = var.name\n}\n',
    "modules/queue/outputs.tf": (
        'output "arn" {\n  description = "Queue ARN."\n  value       = aws_sqs_queue.this.arn\n}\n'
    ),
    "modules/queue/examples/basic/main.tf": 'module "queue" {\n  source = "../../"\n  name   = "q"\n}\n',
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project_binaries: None) -> Path:
    write_files(tmp_path, GOOD_MODULE)
    monkeypatch.setenv("TOOLKIT_PROJECT_DIR", str(tmp_path))
    return tmp_path


def invoke(*arguments: str):
    return CliRunner().invoke(app, ["check", *arguments])


def test_schema_only_failure_prints_finding_and_summary(project: Path) -> None:
    (project / "modules/queue/main.tf").write_text(
        'resource "aws_sqs_queue" "this" {\n  name              = var.name\n  visibility_timeout = 30\n}\n'
    )
    result = invoke("--schema")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "== schema"
    assert lines[1] == (
        'modules/queue/main.tf:3: aws_sqs_queue.this: unknown argument "visibility_timeout" '
        '(did you mean "visibility_timeout_seconds"?)'
    )
    assert lines[3].split() == ["check", "status", "counts", "time"]
    assert lines[4].split()[:3] == ["schema", "failed", "files=4"]
    assert "result: failed" in lines
    assert result.output.rstrip().endswith("Error: 1 of 1 checks failed: schema")


def test_docs_write_then_all_fast_checks_pass_as_json(project: Path) -> None:
    missing = invoke("--docs")
    assert missing.exit_code == 1, missing.output
    assert "modules/queue/README.md: missing: run `toolkit check --docs --write` to generate it" in missing.output
    written = invoke("--docs", "--write")
    assert written.exit_code == 0, written.output
    assert (project / "modules/queue/README.md").is_file()
    result = invoke("--docs", "--schema", "--fmt", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "passed"
    assert [check["name"] for check in report["checks"]] == ["fmt", "schema", "contract"]
    assert report["checks"][1]["counts"] == {"files": 4, "blocks": 1, "skipped": 0, "errors": 0, "warnings": 0}


def test_write_without_docs_is_a_usage_error(project: Path) -> None:
    before = sorted(path.name for path in (project / "modules/queue").iterdir())
    result = invoke("--schema", "--write")
    assert result.exit_code == 1, result.output
    assert (
        result.output.strip() == "Error: --write rewrites README tables: use it with --docs (or with no check selected)"
    )
    assert sorted(path.name for path in (project / "modules/queue").iterdir()) == before


@pytest.mark.slow
def test_all_checks_run_and_fail_on_checkov(project: Path) -> None:
    # The example plans (`--examples`) once it says which region.
    (project / "modules/queue/examples/basic/providers.tf").write_text('provider "aws" {\n  region = "sa-east-1"\n}\n')
    invoke("--docs", "--write")
    result = invoke("--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output.split("\nError:")[0])
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    # No .tflint.hcl in this project: tflint is skipped (a plain `toolkit check` never runs the floor).
    assert statuses == {"fmt": "passed", "tflint": "skipped", "schema": "passed", "validate": "passed",
                        "tests": "skipped", "examples": "passed", "rules": "skipped", "contract": "passed",
                        "checkov": "failed"}
    checkov = next(check for check in report["checks"] if check["name"] == "checkov")
    assert checkov["counts"]["failed"] > 0
    texts = [finding["text"] for finding in checkov["findings"]]
    # checkov reports a module's resources through their caller (the example): module.queue.aws_sqs_queue.this.
    assert all(text.startswith("modules/queue/main.tf:1: module.queue.aws_sqs_queue.this: CKV") for text in texts), (
        texts
    )


def test_help_does_not_import_the_checks() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from toolkit.cli import app\n"
        "result = CliRunner().invoke(app, ['check', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'Example: toolkit check --schema --docs' in result.output, result.output\n"
        "loaded = [name for name in ('hcl2', 'lark', 'toolkit.checks.schema') if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


def test_a_check_that_cannot_run_is_an_error_and_the_others_still_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(project / "no-terraform"))
    result = invoke("--fmt", "--schema")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["== fmt", f"TOOLKIT_TERRAFORM={project / 'no-terraform'}: not an executable file"]
    assert [line.split()[:2] for line in lines if line.startswith(("fmt ", "schema "))] == [
        ["fmt", "error"],
        ["schema", "passed"],
    ]
    assert result.output.rstrip().endswith("Error: 1 of 2 checks failed: fmt")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "TOOLKIT_AWS_SCHEMA={path}: not a file"),
        (b"\x1f\x8b\x08\x00broken", "cannot read the provider schema {path}: "),
        (b'{"hello": "world"}', "{path}: not a `terraform providers schema -json` document (no provider_schemas)"),
    ],
)
def test_schema_check_with_a_bad_schema_file_is_an_error_naming_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, content: bytes | None, expected: str
) -> None:
    """A careless TOOLKIT_AWS_SCHEMA (a folder, a truncated download, another JSON) fails the check clearly."""
    path = project / "schema.json.gz"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    monkeypatch.setenv("TOOLKIT_AWS_SCHEMA", str(path))
    result = invoke("--schema")
    assert result.exit_code == 1, result.output
    assert expected.format(path=path) in result.output, result.output
