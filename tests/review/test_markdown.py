"""The Markdown review of the current-format fixture, section by section."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.review.helpers import review_of, sections
from toolkit.review.markdown import render_markdown


@pytest.fixture(scope="module")
def markdown(current_plan: Path) -> str:
    return render_markdown(review_of(current_plan, "staging"))


def test_starts_with_the_marker_then_the_summary_line(markdown: str) -> None:
    lines = markdown.splitlines()
    assert lines[0] == "<!-- toolkit-review:staging -->"
    assert lines[1] == "## Terraform plan review: `staging`"
    assert lines[3] == "**Plan: 2 to add, 4 to change, 3 to replace, 1 to destroy.**"
    assert lines[4] == (
        # Drift is not counted here, before the changes: its own section follows them (issue 28 item 3).
        "Also: 1 to import, 1 moved, 4 outputs changing, 1 failed check."
    )
    assert lines[5] == "<sub>Terraform 1.9.8, plan JSON format 1.2</sub>"


def test_warnings_are_the_first_section_and_name_the_recovery_step(markdown: str) -> None:
    first = sections(markdown)[0]
    assert first.startswith("### ⚠️ Data at risk: 3 stateful resources destroyed or replaced\n")
    items = [line for line in first.splitlines() if line.startswith("- ")]
    assert items == [
        # force_destroy = true in the plan: the warning says the apply deletes the objects (issue 28 item 4).
        "- **`aws_s3_bucket.logs` will be DESTROYED**: every object in the bucket is deleted, every version "
        "included, and cannot be recovered — "
        "recovery: none by rollback: copy the objects first (`aws s3 sync`) or keep the bucket (`prevent_destroy`)",
        "- **`aws_kms_key.main` will be REPLACED**: data encrypted with this key becomes unreadable after the "
        "deletion window (7-30 days) — recovery: cancel the deletion inside the window "
        "(`aws kms cancel-key-deletion`), then `toolkit rollback staging --step terraform-state`",
        "- **`module.database.aws_db_instance.this` will be REPLACED**: all data in the database is lost unless "
        "restored — recovery: `toolkit rollback staging --step db-restore` (restores the pre-apply snapshot)",
    ]
    assert "  - why: forces replacement: `engine_version`" in first
    assert "  - this plan: force_destroy = true: the apply DELETES EVERY OBJECT in the bucket, then the bucket" in first
    assert "the key is scheduled for deletion in 30 days (deletion_window_in_days)" in first
    assert "  - this plan: the old one is destroyed first, then the replacement created" in first
    assert "  - why: removed from the configuration" in first


def test_section_order(markdown: str) -> None:
    headings = [section.splitlines()[0] for section in sections(markdown)]
    assert headings == [
        "### ⚠️ Data at risk: 3 stateful resources destroyed or replaced",
        "### ❌ Failed checks: 1",
        "### Changes (13)",
        "### 🔀 Changed outside Terraform: 2",
        "### Outputs: 4 changing",
    ]


def test_failed_checks_show_the_problem(markdown: str) -> None:
    checks = sections(markdown)[1]
    assert (
        "- `aws_s3_bucket.assets` (fail)\n  - aws_s3_bucket.assets: Asset buckets must have versioning enabled.\n"
        in checks
    )
    assert "check.health" not in markdown


def test_changes_are_grouped_by_module_then_action(markdown: str) -> None:
    changes = sections(markdown)[2]
    modules = [line for line in changes.splitlines() if line.startswith("<details")]
    assert modules == [
        "<details open><summary><b>root module</b> — 2 to replace, 1 to destroy, 1 to add, 3 to change, "
        "1 to import, 1 moved, 1 to read</summary>",
        "<details open><summary><b>module.database</b> — 1 to replace</summary>",
        "<details open><summary><b>module.network</b> — 1 to add, 1 to change</summary>",
    ]
    root = changes.split("</details>")[0]
    groups = [line for line in root.splitlines() if line.startswith("**")]
    assert groups == [
        "**Replace**", "**Destroy**", "**Create**", "**Update in place**", "**Import**", "**Move**",
        "**Read (data source)**",
    ]


def test_replace_reasons(markdown: str) -> None:
    assert (
        "- 🔴 `module.database.aws_db_instance.this` — an attribute cannot be updated in place; "
        "forces replacement: `engine_version`\n" in markdown
    )
    assert "- 🔴 `aws_instance.web[0]` — tainted (a previous apply failed, or `terraform taint`)\n" in markdown
    assert "- 🔴 `aws_kms_key.main` — replacement requested with `-replace`\n" in markdown


def test_moved_and_imported_resources(markdown: str) -> None:
    assert "**Move**\n\n- 🔵 `aws_iam_role.app` — moved from `aws_iam_role.application`\n" in markdown
    assert "**Import**\n\n- 🔵 `aws_s3_bucket.assets` — imported (id `staging-assets`)\n" in markdown


def test_update_shows_flattened_attribute_paths(markdown: str) -> None:
    assert "  | <code>ingress[0].from_port</code> | <code>80</code> | <code>443</code> |\n" in markdown
    assert "  | <code>tags.Name</code> | <code>\"web\"</code> | <code>\"web-public\"</code> |\n" in markdown
    assert "  | <code>tags.Tier</code> | <code>null</code> | <code>\"network\"</code> |\n" in markdown
    # Unchanged attributes are not listed.
    assert "<code>description</code>" not in markdown


def test_unknown_and_sensitive_values(markdown: str) -> None:
    assert "  | <code>password</code> | <code>(sensitive)</code> | <code>(sensitive)</code> |\n" in markdown
    assert (
        "  | <code>endpoint</code> | <code>\"staging-db.abc.eu-west-1.rds.amazonaws.com:5432\"</code> | "
        "<code>(known after apply)</code> |\n" in markdown
    )
    assert "  | <code>ipv6_cidr_block</code> | <code>\"\"</code> | <code>(known after apply)</code> |\n" in markdown
    # before_sensitive/after_sensitive = true for the whole object: one masked row, no attribute names.
    assert "  | <code>(all attributes)</code> | <code>(sensitive)</code> | <code>(sensitive)</code> |\n" in markdown
    # A sensitive variable's value that the provider did not mark is still hidden.
    assert (
        "  | <code>environment[0].variables.TOKEN</code> | <code>\"old-value\"</code> | <code>(sensitive)</code> |\n"
        in markdown
    )


def test_drift_section(markdown: str) -> None:
    drift = sections(markdown)[3]
    assert "<details><summary>Drift found by refresh; the plan reconciles it</summary>" in drift
    assert "- 🟡 `aws_security_group.web`\n" in drift
    assert "  | <code>tags.Owner</code> | <code>\"platform\"</code> | <code>\"someone-else\"</code> |\n" in drift
    assert "  | <code>value</code> | <code>(sensitive)</code> | <code>(sensitive)</code> |\n" in drift


def test_output_changes_respect_sensitive(markdown: str) -> None:
    outputs = sections(markdown)[4]
    rows = [line for line in outputs.splitlines() if line.startswith("| <code>")]
    assert rows == [
        '| <code>connection</code> | update | <code>{"host": "old.example.com", "password": "(sensitive)"}</code> '
        '| <code>{"host": "new.example.com", "password": "(sensitive)"}</code> |',
        '| <code>db_endpoint</code> | update | <code>"staging-db.abc.eu-west-1.rds.amazonaws.com:5432"</code> '
        "| <code>(known after apply)</code> |",
        "| <code>db_password</code> | create | <code>null</code> | <code>(sensitive)</code> |",
        '| <code>logs_bucket</code> | delete | <code>"staging-logs"</code> | <code>null</code> |',
    ]


def test_small_review_has_no_truncation_notice(markdown: str) -> None:
    assert "not shown" not in markdown
    assert len(markdown) < 65_536


def test_no_changes_plan(tmp_path: Path) -> None:
    plan = tmp_path / "empty.json"
    plan.write_text('{"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {}}')
    markdown = render_markdown(review_of(plan, "dev"))
    assert markdown == (
        "<!-- toolkit-review:dev -->\n"
        "## Terraform plan review: `dev`\n\n"
        "**Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy.**\n"
        "<sub>Terraform 1.9.8, plan JSON format 1.2</sub>\n\n"
        "No changes. The infrastructure matches the configuration.\n"
    )
