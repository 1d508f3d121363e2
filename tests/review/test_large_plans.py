"""Big plans: one GitHub comment, warnings and summary intact; the generator is deterministic."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from bench.plan_generator import write_plan
from tests.review.helpers import review_of, sections
from toolkit.review.markdown import GITHUB_COMMENT_LIMIT, render_markdown
from toolkit.review.render_json import write_json


def test_20000_changes_fit_one_comment(generated_plan: Callable[[int], Path]) -> None:
    review = review_of(generated_plan(20_000), "prod")
    markdown = render_markdown(review)
    assert len(markdown.encode("utf-8")) < GITHUB_COMMENT_LIMIT
    lines = markdown.splitlines()
    assert lines[0] == "<!-- toolkit-review:prod -->"
    summary = review.summary
    assert lines[3] == (
        f"**Plan: {summary.add} to add, {summary.change} to change, {summary.replace} to replace, "
        f"{summary.destroy} to destroy.**"
    )
    assert summary.add + summary.change + summary.replace + summary.destroy + summary.no_op == 20_000
    # Every stateful destroy/replace is still counted in the first section, grouped by type.
    warnings = sections(markdown)[0]
    assert warnings.startswith(
        f"### ⚠️ Data at risk: {len(review.warnings)} stateful resources destroyed or replaced\n"
    )
    grouped = sum(int(line.split(" × ")[0][4:]) for line in warnings.splitlines() if " × " in line)
    assert grouped == len(review.warnings) > 100
    shown = sum(1 for line in markdown.splitlines() if line.startswith("- 🔴 ") or line.startswith("- 🟢 ")
                or line.startswith("- 🟡 ") or line.startswith("- 🔵 "))
    assert 0 < shown < len(review.changes)
    notice = markdown.rstrip().splitlines()[-1]
    assert notice.startswith("**Shortened to fit one comment:** ")
    assert notice.endswith("; run `toolkit review prod` locally or see the plan artifact.")
    hidden = int(notice.split(":** ")[1].split(" more changes not shown")[0])
    assert hidden >= len(review.changes) - shown


def test_small_limit_degrades_to_module_counts(generated_plan: Callable[[int], Path]) -> None:
    review = review_of(generated_plan(2_000), "dev")
    markdown = render_markdown(review, limit=12_000)
    assert len(markdown.encode("utf-8")) < 12_000
    assert "### ⚠️ Data at risk:" in markdown
    changes = sections(markdown)[2]
    assert changes.startswith(f"### Changes ({len(review.changes)})")
    assert "- **module.service_" in changes  # per-module count lines
    assert "more changes not shown; run `toolkit review dev` locally or see the plan artifact." in markdown


def test_json_lists_every_change(generated_plan: Callable[[int], Path]) -> None:
    review = review_of(generated_plan(2_000), "dev")
    out = io.StringIO()
    write_json(review, out)
    document = json.loads(out.getvalue())
    assert len(document["changes"]) == len(review.changes)
    assert len(document["warnings"]) == len(review.warnings)
    updates = [change for change in document["changes"] if change["group"] == "update"]
    assert {"path": "ingress[0].from_port", "before": "22", "after": "1024"} in [
        attribute for change in updates for attribute in change["attributes"]
    ]


def test_generator_is_deterministic_by_seed() -> None:
    first, again, other = io.StringIO(), io.StringIO(), io.StringIO()
    write_plan(first, 200, seed=3)
    write_plan(again, 200, seed=3)
    write_plan(other, 200, seed=4)
    assert first.getvalue() == again.getvalue()
    assert first.getvalue() != other.getvalue()
    assert len(json.loads(first.getvalue())["resource_changes"]) == 200


def test_tiny_limit_lists_only_the_first_modules(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    with path.open("w", encoding="utf-8") as handle:
        write_plan(handle, 3_000, seed=5, stateful_share=0.0)
    review = review_of(path, "dev")
    assert review.warnings == []
    markdown = render_markdown(review, limit=4_000)
    assert len(markdown.encode("utf-8")) < 4_000
    assert "**Plan: " in markdown
    more = [line for line in markdown.splitlines() if line.endswith("more changes in further modules")]
    assert len(more) == 1
    listed = sum(int(part.split(" ")[0]) for line in markdown.splitlines() if line.startswith("- **module")
                 for part in line.split("**: ")[1].split(", "))
    listed_root = sum(int(part.split(" ")[0]) for line in markdown.splitlines() if line.startswith("- **root")
                      for part in line.split("**: ")[1].split(", "))
    assert listed + listed_root + int(more[0].split(" ")[2]) == len(review.changes)
