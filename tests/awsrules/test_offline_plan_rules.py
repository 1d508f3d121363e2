"""End to end: `toolkit plan ENV --offline` on a copy of the real root fails (exit 1) when AWS would reject a
change, prints the finding, and passes again (exit 2, changes) once the project's waiver file waives it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import REPO, toolkit
from toolkit.awsrules.registry import all_rules
from toolkit.awsrules.waivers import WAIVER_FILE

pytestmark = pytest.mark.slow

# envs accepts any tag key; IAM's tagKeyType pattern has no "#", so CreateRole would refuse it.
BAD_TAG_KEY = "cost#center"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("rules") / "project"
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests")
    for folder in ("terraform", "modules", "envs"):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    (root / ".cache").symlink_to(REPO / ".cache")
    dev = root / "envs" / "dev.yaml"
    text = dev.read_text(encoding="utf-8")
    if "\ntags:\n" in text:
        text = text.replace("\ntags:\n", f"\ntags:\n  {BAD_TAG_KEY}: platform\n", 1)
    else:
        text += f"\ntags:\n  {BAD_TAG_KEY}: platform\n"
    dev.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_PROJECT_DIR", str(root))
        patch.chdir(root)
        for name in ("TOOLKIT_TERRAFORM", "TF_CLI_CONFIG_FILE", "TOOLKIT_PROVIDER_MIRROR", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield root


def test_a_plan_aws_would_reject_fails_and_a_waiver_lets_it_through(project: Path) -> None:
    result = toolkit("plan", "dev", "--offline", "--quiet")
    assert result.exit_code == 1, result.output
    assert "Would be rejected by AWS" in result.output
    assert f'[AWS-TAG-002] tag key "{BAD_TAG_KEY}" does not match the allowed pattern' in result.output
    assert "module.compute.aws_iam_role.task[0]" in result.output
    assert "Error: dev: " in result.output and "aws-rules-waivers.yaml" in result.output
    # The plan is saved all the same, so it can be reviewed.
    assert list((project / ".toolkit" / "envs" / "dev" / "offline" / "plans").glob("*/plan.json"))

    waivers = "".join(f"  - rule: {rule.id}\n    address: \"*\"\n    reason: test of the waiver file\n"
                      for rule in all_rules())
    (project / WAIVER_FILE).write_text(f"waivers:\n{waivers}", encoding="utf-8")
    waived = toolkit("plan", "dev", "--offline", "--quiet")
    assert waived.exit_code == 2, waived.output
    assert "(waived: test of the waiver file)" in waived.output or "[waived: test of the waiver file]" in waived.output
    assert "Error:" not in waived.output
