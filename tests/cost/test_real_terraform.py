"""`toolkit cost` on real `terraform show -json` output (terraform 1.0.3, AWS provider 3.39, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.conftest import TERRAFORM_CANARIES, terraform_103_plan  # noqa: F401 (the fixture)
from toolkit.cli import app

pytestmark = pytest.mark.slow


def test_cost_of_a_real_plan(terraform_103_plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.chdir(tmp_path)  # no project: the shipped snapshot alone
    monkeypatch.delenv("TOOLKIT_PROJECT_DIR", raising=False)
    result = CliRunner().invoke(app, ["cost", str(terraform_103_plan), "--region", "us-east-1", "--format", "json"])
    assert result.exit_code == 0, result.output
    for canary in TERRAFORM_CANARIES:
        assert canary not in result.output
    report = json.loads(result.stdout)
    resources = {item["address"]: item for item in report["resources"]}
    database = resources["aws_db_instance.this"]["planned"]
    # db.t3.micro is priced; the provider leaves storage_type to AWS (unknown in the plan): not guessed.
    assert database["lines"][0]["monthly_usd"] == [pytest.approx(0.018 * 730)] * 2
    assert database["lines"][1]["priced"] is False
    assert {"address": "aws_ssm_parameter.secret", "reason": "no price rule for aws_ssm_parameter"} \
        in report["not_priced"]
    assert resources["aws_s3_bucket.old"]["planned"] is None
    assert resources["aws_security_group.web"]["planned"]["free"] is True
    assert report["delta_usd"][0] == pytest.approx(0.018 * 730)
