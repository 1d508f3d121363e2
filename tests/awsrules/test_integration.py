"""The rules inside `toolkit review` (first section, every format), `toolkit plan` (exit 1 unless waived),
`toolkit apply` (refused) and the waiver file."""

from __future__ import annotations

import datetime
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.awsrules.plans import change, plan
from toolkit.awsrules import evaluate_plan
from toolkit.awsrules.waivers import WAIVER_FILE, apply_waivers, load_waivers
from toolkit.errors import UsageError

BAD_ROLE = change("module.compute.aws_iam_role.task[0]", {"name": "task", "tags_all": {"Environment": "dev",
                                                                                        "environment": "dev"}},
                  module="module.compute")


def _plan_file(tmp_path: Path, *changes: dict[str, Any]) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan(*changes, configuration={"root_module": {}})), encoding="utf-8")
    return path


@pytest.fixture
def outside_any_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TOOLKIT_PROJECT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("output_format", ["text", "md", "json"])
def test_review_puts_what_aws_would_reject_first(outside_any_project: Path, output_format: str) -> None:
    import io

    from toolkit.review.service import load_review, write_review

    path = _plan_file(outside_any_project, BAD_ROLE, change("aws_s3_bucket.logs", {"bucket": "logs-1"}))
    review = load_review(str(path), "dev", every_diff=output_format != "md")
    out = io.StringIO()
    write_review(review, output_format, out)
    review.plan.close()
    text = out.getvalue()
    if output_format == "json":
        document = json.loads(text)
        [finding] = document["rejected_by_aws"]["findings"]
        assert finding["rule"] == "AWS-TAG-001" and finding["address"] == "module.compute.aws_iam_role.task[0]"
        assert document["rejected_by_aws"]["blocking"] == 1
        return
    section = text.index("Would be rejected by AWS")
    assert "module.compute.aws_iam_role.task[0]" in text[section:]
    # Before the data-at-risk warnings, the cost and the changes.
    for later in ("Cost", "Changes", "DATA AT RISK", "root module"):
        if later in text:
            assert section < text.index(later), later


def test_review_of_a_clean_plan_has_no_rules_section(outside_any_project: Path) -> None:
    import io

    from toolkit.review.service import load_review, write_review

    review = load_review(str(_plan_file(outside_any_project, change("aws_s3_bucket.logs", {"bucket": "logs-1"}))))
    out = io.StringIO()
    write_review(review, "md", out)
    review.plan.close()
    assert "Would be rejected by AWS" not in out.getvalue()


def test_plan_outcome_fails_on_unwaived_errors_only() -> None:
    from toolkit.engine.plan import PlanOutcome

    class _Saved:
        class metadata:
            has_changes = True

    failing = PlanOutcome("dev", _Saved(), rules=evaluate_plan(plan(BAD_ROLE)))  # type: ignore[arg-type]
    assert failing.exit_code == 1 and failing.rejected_by_aws
    waived = apply_waivers(evaluate_plan(plan(BAD_ROLE)), [_waiver("module.compute.*")], "dev")
    assert PlanOutcome("dev", _Saved(), rules=waived).exit_code == 2  # type: ignore[arg-type]
    warning_only = evaluate_plan(plan(change("aws_vpc.this", {"tags_all": {"A": "1", "a": "2"}})))
    assert PlanOutcome("dev", _Saved(), rules=warning_only).exit_code == 2  # type: ignore[arg-type]


def _waiver(address: str, **extra: Any) -> Any:
    from toolkit.awsrules.waivers import Waiver

    return Waiver("AWS-TAG-001", address, "fixed on the modules branch", **extra)


def test_apply_refuses_a_plan_aws_would_reject(tmp_path: Path) -> None:
    from toolkit.awsrules.service import RulesFailed
    from toolkit.engine.apply import check_aws_rules

    with pytest.raises(RulesFailed) as raised:
        check_aws_rules("dev", plan(BAD_ROLE), tmp_path)
    assert "dev: 1 change(s) AWS would reject (AWS-TAG-001)" in str(raised.value)
    assert "module.compute.aws_iam_role.task[0]" in str(raised.value)
    (tmp_path / WAIVER_FILE).write_text(
        "waivers:\n  - rule: AWS-TAG-001\n    address: module.compute.aws_iam_role.task[[]0]\n"
        "    reason: the role exists already with these tags\n", encoding="utf-8")
    check_aws_rules("dev", plan(BAD_ROLE), tmp_path)


def test_waivers_match_by_rule_address_environment_and_date() -> None:
    report = evaluate_plan(plan(BAD_ROLE))
    today = datetime.date(2027, 1, 1)
    assert apply_waivers(report, [_waiver("module.compute.*")], "dev", today).blocking == []
    assert apply_waivers(report, [_waiver("module.other.*")], "dev", today).blocking != []
    only_prod = _waiver("*", environments=("prod",))
    assert apply_waivers(report, [only_prod], "dev", today).blocking != []
    assert apply_waivers(report, [only_prod], "prod", today).blocking == []
    expired = _waiver("*", expires=datetime.date(2026, 12, 31))
    waived = apply_waivers(report, [expired], "dev", today)
    assert waived.blocking != [] and waived.unused_waivers == ["AWS-TAG-001 * (expired)"]
    [finding] = apply_waivers(report, [_waiver("*")], "dev", today).findings
    assert finding.waived_because == "fixed on the modules branch" and "(waived: " in finding.text()


@pytest.mark.parametrize(("text", "error"), [
    ("waivers: {}", "`waivers` must be a list"),
    ("waivers:\n  - rule: AWS-NOPE-1\n    address: x\n    reason: r\n", "waivers[0].rule: unknown rule 'AWS-NOPE-1'"),
    ("waivers:\n  - rule: AWS-TAG-001\n    address: x\n", "waivers[0].reason: required"),
    ("waivers:\n  - rule: AWS-TAG-001\n    address: x\n    reason: r\n    until: 2027-01-01\n", "unknown key until"),
    ("waivers:\n  - rule: AWS-TAG-001\n    address: x\n    reason: r\n    expires: soon\n", "expires: a date"),
    ("waivers: [", "not valid YAML"),
])
def test_a_malformed_waiver_file_names_the_entry_and_key(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / WAIVER_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        load_waivers(tmp_path)
    assert str(raised.value).startswith(WAIVER_FILE) and error in str(raised.value)


def test_check_rules_result_lists_each_finding_per_environment(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    """run_rules_check over stand-in plans (the real offline plans are slow: tests/engine covers them)."""
    from toolkit.checks import aws_rules as check
    from toolkit.engine import plan as engine_plan
    # The module, not the function toolkit.engine re-exports under the same name.
    engine_plan_all = importlib.import_module("toolkit.engine.plan_all")

    class _Saved:
        class metadata:
            has_changes = True

    def fake_plan_all(project: Any, offline: bool) -> Any:
        assert offline
        return engine_plan_all.PlanAllOutcome([
            engine_plan.PlanOutcome("dev", _Saved(), rules=evaluate_plan(plan(BAD_ROLE))),  # type: ignore[arg-type]
            engine_plan_all.PlanSkipped("sandbox", "emulator-only"),
        ])

    monkeypatch.setattr(engine_plan_all, "plan_all", fake_plan_all)
    # The check skips a project without environments before planning: give it the two the stand-in plans.
    (tmp_path / "envs").mkdir()
    for name in ("dev", "sandbox"):
        (tmp_path / "envs" / f"{name}.yaml").write_text("{}\n", encoding="utf-8")
    result = check.run_rules_check(tmp_path)
    assert result.status == "failed" and result.counts["errors"] == 1
    [finding] = result.findings
    assert str(finding).startswith("dev: module.compute.aws_iam_role.task[0]: [AWS-TAG-001]")
    assert result.notes == ["skipped sandbox: emulator-only"]


def test_markdown_section_does_not_render_html_from_the_configuration() -> None:
    from toolkit.awsrules.render import markdown_section

    evil = change("aws_iam_role.x", {"name": "x", "tags_all": {"<img src=x>": "1", "<IMG SRC=X>": "2"}})
    section = markdown_section(evaluate_plan(plan(evil)), 10_000)
    assert "<img" not in section.lower() and "&lt;img src=x&gt;" in section


def test_on_emulator_environments_the_rules_report_without_failing() -> None:
    from toolkit.awsrules.service import EMULATOR_REASON, check_plan, not_enforced_because
    from toolkit.config import list_environments, load_environment
    from toolkit.project import Project

    project = Project(Path(__file__).resolve().parents[2])
    reasons = {name: not_enforced_because(load_environment(project, name)) for name in list_environments(project)}
    assert reasons["local"] == EMULATOR_REASON
    assert reasons["dev"] == reasons["staging"] == reasons["prod"] == ""
    report = check_plan(plan(BAD_ROLE), "local", None, not_enforced_because=EMULATOR_REASON)
    [finding] = report.findings
    assert not report.blocking and finding.waived_because == EMULATOR_REASON


def test_a_review_with_thousands_of_findings_stays_one_comment(outside_any_project: Path) -> None:
    from toolkit.review.markdown import GITHUB_COMMENT_LIMIT, render_markdown
    from toolkit.review.service import load_review

    changes = [change(f"aws_lb.lb{index}", {"name": f"{'n' * 40}{index}", "tags_all": {"A": "1", "a": "2"}})
               for index in range(3_000)]
    review = load_review(str(_plan_file(outside_any_project, *changes)), "dev")
    text = render_markdown(review)
    review.plan.close()
    assert len(text.encode("utf-8")) <= GITHUB_COMMENT_LIMIT
    assert text.index("Would be rejected by AWS") < text.index("Changes")


def test_a_protected_environment_with_its_state_on_the_emulator_is_still_held_to_the_rules() -> None:
    """Found by review: a backend endpoint alone made any environment "an emulator one" (rules report only)."""
    from types import SimpleNamespace

    from toolkit.awsrules.service import not_enforced_because

    def config(protected: bool, endpoint: str | None, emulator: object = None) -> object:
        return SimpleNamespace(settings=SimpleNamespace(protected=protected, emulator=emulator,
                                                        backend=SimpleNamespace(endpoint_from_env=endpoint)))

    assert not_enforced_because(config(True, "AWS_ENDPOINT_URL")) == ""
    assert not_enforced_because(config(False, "AWS_ENDPOINT_URL")) != ""  # the sandbox
    assert not_enforced_because(config(False, None, emulator=object())) != ""  # local
    assert not_enforced_because(config(True, None)) == ""
