"""`storage.buckets.NAME: null` removes a bucket inherited from envs/defaults.yaml in one environment (issue 28)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from toolkit.cli import app
from toolkit.config import load_environment
from toolkit.project import Project


def test_a_null_bucket_removes_the_inherited_bucket_in_that_environment_only(project_dir: Path) -> None:
    staging = project_dir / "envs" / "staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8") + "storage:\n  buckets:\n    exports: null\n",
                       encoding="utf-8")
    project = Project(project_dir)
    assert set(load_environment(project, "staging").settings.storage.buckets) == {"uploads", "ml-models", "bncc-data"}
    assert "exports" in load_environment(project, "dev").settings.storage.buckets
    rendered = CliRunner().invoke(app, ["render", "staging"])
    assert rendered.exit_code == 0, rendered.output
    assert "exports" not in (project_dir / "build" / "staging" / "terraform.tfvars").read_text(encoding="utf-8")


def test_null_is_still_refused_where_it_does_not_remove_an_entry(project_dir: Path) -> None:
    staging = project_dir / "envs" / "staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8") + "storage:\n  buckets:\n    exports:\n"
                       "      versioning: null\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["envs", "show", "staging"])
    assert result.exit_code == 1
    assert "storage.buckets.exports.versioning" in result.output
