"""Real `terraform show -json` output of the project's engine (Terraform 1.15.5, plan JSON format 1.2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.review.helpers import review_of, sections
from toolkit.review.markdown import render_markdown
from toolkit.review.render_json import write_json

pytestmark = pytest.mark.slow


def test_reads_the_engines_format(real_plan: Path) -> None:
    review = review_of(real_plan, "sandbox")
    assert review.plan.format_version == "1.2"
    assert review.plan.terraform_version == "1.15.5"
    assert review.plan.sensitive_variable_names == {"db_password"}
    assert review.summary.line() == "Plan: 1 to add, 1 to change, 2 to replace, 1 to destroy."


def test_markdown_of_a_real_plan(real_plan: Path) -> None:
    markdown = render_markdown(review_of(real_plan, "sandbox"))
    assert markdown.splitlines()[0] == "<!-- toolkit-review:sandbox -->"
    assert "**Plan: 1 to add, 1 to change, 2 to replace, 1 to destroy.**\n" in markdown
    warnings = sections(markdown)[0]
    assert warnings.startswith("### ⚠️ Data at risk: 2 stateful resources destroyed or replaced\n")
    assert "- **`aws_s3_bucket.old` will be DESTROYED**: all objects in the bucket are lost" in warnings
    assert "- **`aws_s3_bucket.logs` will be REPLACED**: all objects in the bucket are lost" in warnings
    assert "  - why: forces replacement: `bucket`\n" in warnings
    assert "- 🔴 `aws_ssm_parameter.secret` — tainted (a previous apply failed, or `terraform taint`)\n" in markdown
    assert "  | <code>value</code> | <code>(sensitive)</code> | <code>(sensitive)</code> |\n" in markdown
    assert "  | <code>tags.Name</code> | <code>\"web\"</code> | <code>\"web-public\"</code> |\n" in markdown
    assert "| <code>password</code> | create | <code>null</code> | <code>(sensitive)</code> |\n" in markdown
    assert "| <code>bucket_arn</code> | create | <code>null</code> | <code>(known after apply)</code> |\n" in markdown


def test_json_of_a_real_plan(real_plan: Path) -> None:
    out = io.StringIO()
    write_json(review_of(real_plan, "sandbox"), out)
    changes = {change["address"]: change for change in json.loads(out.getvalue())["changes"]}
    assert changes["aws_s3_bucket.logs"]["action_reason"] == "replace_because_cannot_update"
    assert changes["aws_s3_bucket.logs"]["replace_paths"] == ["bucket"]
    assert changes["aws_ssm_parameter.secret"]["action_reason"] == "replace_because_tainted"
    assert changes["aws_db_instance.this"]["group"] == "create"
    assert changes["aws_s3_bucket.old"]["group"] == "delete"
