"""terraform fmt check and the binary discovery shared with the engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.binaries import find_terraform, require_checkov, require_terraform
from toolkit.checks.fmt import run_fmt_check
from toolkit.checks.runner import CheckTargets
from toolkit.errors import TerraformError, ToolkitError

from .conftest import TERRAFORM, write_files

UNFORMATTED = 'resource "aws_sqs_queue" "this" {\nname="q"\n  delay_seconds = 0\n}\n'
FORMATTED = 'resource "aws_sqs_queue" "this" {\n  name          = "q"\n  delay_seconds = 0\n}\n'


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.mark.slow
def test_unformatted_file_fails_with_its_path_and_diff(tmp_path: Path, project_binaries: None) -> None:
    write_files(tmp_path, {"modules/queue/main.tf": UNFORMATTED, "terraform/main.tf": FORMATTED})
    result = run_fmt_check(tmp_path, [tmp_path / "modules", tmp_path / "terraform"])
    assert result.status == "failed"
    assert [str(finding) for finding in result.findings] == [
        "modules/queue/main.tf: not formatted: run `terraform fmt -recursive`"
    ]
    assert result.counts == {"files": 2, "unformatted": 1}
    assert '+  name          = "q"' in result.notes[1]
    assert (tmp_path / "modules/queue/main.tf").read_text() == UNFORMATTED, "the check must not rewrite files"


@pytest.mark.slow
def test_formatted_files_pass(tmp_path: Path, project_binaries: None) -> None:
    write_files(tmp_path, {"modules/queue/main.tf": FORMATTED})
    result = run_fmt_check(tmp_path, [tmp_path / "modules", tmp_path / "terraform"])
    assert result.status == "passed", result.findings
    assert result.notes == [f"terraform: {TERRAFORM}"]


@pytest.mark.slow
def test_syntax_error_is_a_failure(tmp_path: Path, project_binaries: None) -> None:
    write_files(tmp_path, {"modules/queue/main.tf": "x = {\n"})
    result = run_fmt_check(tmp_path, [tmp_path / "modules"])
    assert result.status == "failed"
    assert str(result.findings[0]).startswith("modules: terraform fmt failed: ")


@pytest.mark.slow
def test_real_code_is_formatted(real_targets: CheckTargets) -> None:
    result = run_fmt_check(real_targets.root, real_targets.directories)
    assert result.errors == [], "\n".join(result.notes)


def test_terraform_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path_dir = tmp_path / "path"
    tofu = executable(path_dir / "tofu")
    monkeypatch.setenv("PATH", str(path_dir))
    monkeypatch.delenv("TOOLKIT_TERRAFORM", raising=False)
    assert find_terraform(tmp_path) == tofu
    on_path = executable(path_dir / "terraform")
    assert find_terraform(tmp_path) == on_path
    bundled = executable(tmp_path / ".cache" / "engine" / "bin" / "terraform")
    assert find_terraform(tmp_path) == bundled
    configured = executable(tmp_path / "custom" / "terraform-1.9")
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(configured))
    assert find_terraform(tmp_path) == configured


def test_terraform_discovery_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("TOOLKIT_TERRAFORM", raising=False)
    assert find_terraform(tmp_path) is None
    # An older install in .cache/bin (Terraform 1.0.3) is no longer the engine.
    executable(tmp_path / ".cache" / "bin" / "terraform")
    with pytest.raises(TerraformError) as raised:
        require_terraform(tmp_path)
    assert str(raised.value) == (
        "terraform not found: set TOOLKIT_TERRAFORM=/path/to/terraform (or tofu), run `make setup` (installs "
        "Terraform 1.15.5 into .cache/engine), or put terraform or tofu on PATH"
    )
    monkeypatch.setenv("TOOLKIT_TERRAFORM", str(tmp_path / "nope"))
    with pytest.raises(TerraformError) as raised:
        require_terraform(tmp_path)
    assert str(raised.value) == f"TOOLKIT_TERRAFORM={tmp_path / 'nope'}: not an executable file"


def test_checkov_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("TOOLKIT_CHECKOV", raising=False)
    with pytest.raises(ToolkitError) as raised:
        require_checkov(tmp_path)
    assert str(raised.value) == (
        "no checkov: set TOOLKIT_CHECKOV, run `make setup` (installs .cache/checkov-venv), or put checkov on PATH"
    )
    bundled = executable(tmp_path / ".cache" / "checkov-venv" / "bin" / "checkov")
    assert require_checkov(tmp_path) == bundled
    assert os.access(bundled, os.X_OK)
