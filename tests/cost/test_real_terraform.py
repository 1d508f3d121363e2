"""`toolkit cost` on real `terraform show -json` output with an update, a replace and a delete.

The plan is made offline by the project's Terraform (the 1.15.5 engine, or 1.0.3 where only that is
set up) from the review tests' root and prior state (tests/review/conftest.py): a db.t3.micro to
create, S3 buckets to replace and to delete, a tainted SSM parameter.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.conftest import PROVIDER_MIRROR, TERRAFORM_CANARIES, TERRAFORM_ROOT, TERRAFORM_STATE
from toolkit.cli import app

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ENGINES = (REPO / ".cache" / "engine" / "bin" / "terraform", REPO / ".cache" / "bin" / "terraform")


@pytest.fixture(scope="module")
def real_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    engine = next((candidate for candidate in ENGINES if candidate.is_file()), None)
    assert engine is not None, f"no terraform in {', '.join(map(str, ENGINES))}: run `bash scripts/setup.sh`"
    root = tmp_path_factory.mktemp("cost_real_plan")
    (root / "main.tf").write_text(TERRAFORM_ROOT, encoding="utf-8")
    (root / "terraform.tfstate").write_text(TERRAFORM_STATE, encoding="utf-8")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root),
                   "TF_DATA_DIR": str(root / ".terraform-data"), "TF_IN_AUTOMATION": "1",
                   "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}

    def terraform(*arguments: str) -> str:
        done = subprocess.run([str(engine), *arguments], cwd=root, env=environment, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"terraform {arguments[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    terraform("init", "-input=false", "-no-color", f"-plugin-dir={PROVIDER_MIRROR}")
    terraform("plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=plan.bin")
    path = root / "plan.json"
    path.write_text(terraform("show", "-json", "plan.bin"), encoding="utf-8")
    return path


def test_cost_of_a_real_plan(real_plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no project: the shipped snapshot alone
    monkeypatch.delenv("TOOLKIT_PROJECT_DIR", raising=False)
    result = CliRunner().invoke(app, ["cost", str(real_plan), "--region", "us-east-1", "--format", "json"])
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
