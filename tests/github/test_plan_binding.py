"""The review comment carries the reviewed plan's hashes and commit; the apply workflow reads them back.

The workflow step that finds the reviewed sha256 runs here as written in toolkit-apply.yml, with a stand-in
`gh` that answers from canned API pages through the real jq (gh's --jq is jq's language).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from toolkit.github import review_marker, with_binding
from toolkit.plans.binding import PlanBinding, binding_of, parse_binding
from toolkit.plans.saved import sha256_file

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "toolkit-apply.yml"
FAKE_GH = """#!/bin/sh
# gh api [--paginate] PATH --jq EXPR: answer PATH from $CANNED (a folder of JSON pages) through jq.
while [ "$1" = "api" ] || [ "$1" = "--paginate" ]; do shift; done
path=$1; shift; [ "$1" = "--jq" ] && expression=$2
file="$CANNED/$(printf %s "$path" | tr '/' '_').json"
[ -f "$file" ] || { echo "gh: 404 $path" >&2; exit 1; }
exec jq -r "$expression" "$file"
"""


def saved_plan(folder: Path) -> Path:
    folder.mkdir()
    (folder / "plan.tfplan").write_bytes(b"binary plan")
    (folder / "plan.json").write_text('{"format_version": "1.2"}')
    return folder / "plan.json"


def test_the_comment_carries_both_hashes_and_the_commit(tmp_path: Path) -> None:
    plan_json = saved_plan(tmp_path / "plan")
    binding = binding_of(plan_json, "a" * 40)
    assert binding == PlanBinding(sha256_file(plan_json), sha256_file(tmp_path / "plan" / "plan.tfplan"), "a" * 40)
    body = with_binding(f"{review_marker('prod')}\n## Terraform plan review: `prod`\n", binding)
    assert body.startswith(review_marker("prod") + "\n<!-- toolkit-reviewed-plan plan_sha256=")
    assert f"binary plan sha256 `{binding.plan_sha256}`" in body and f"commit `{'a' * 40}`" in body
    assert parse_binding(body) == binding


def test_a_plan_json_without_its_binary_plan_says_so(tmp_path: Path) -> None:
    plan_json = saved_plan(tmp_path / "plan")
    (tmp_path / "plan" / "plan.tfplan").unlink()
    binding = binding_of(plan_json, "not a commit\n-->")
    assert binding.plan_sha256 is None and binding.commit is None
    assert "plan_sha256=none" in binding.hidden_line() and "-->" not in binding.hidden_line()[:-3]
    assert parse_binding(with_binding("<!-- toolkit-review:dev -->\n", binding)) == binding


def _reviewed_step() -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["apply"]["steps"]
    return next(step for step in steps if step.get("id") == "reviewed")["run"]


def _run_step(tmp_path: Path, comments: list[dict], pulls: list[dict]) -> subprocess.CompletedProcess[str]:
    if shutil.which("jq") is None:
        pytest.fail("jq is not installed (apt-get install -y jq)")
    bin_dir, canned = tmp_path / "bin", tmp_path / "canned"
    bin_dir.mkdir()
    canned.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    (canned / "repos_acme_infra_commits_c0ffee_pulls.json").write_text(json.dumps(pulls))
    (canned / "repos_acme_infra_issues_7_comments.json").write_text(json.dumps(comments))
    output = tmp_path / "github_output"
    output.write_text("")
    environment = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CANNED": str(canned),
                   "GITHUB_REPOSITORY": "acme/infra", "GITHUB_SHA": "c0ffee", "ENVIRONMENT": "prod",
                   "GITHUB_OUTPUT": str(output), "GH_TOKEN": "unused"}
    result = subprocess.run(["bash", "-c", _reviewed_step()], env=environment, capture_output=True, text=True,
                            timeout=60)
    result.stdout += output.read_text()
    return result


def _comment(login: str, body: str) -> dict:
    return {"user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}, "body": body}


def test_the_apply_workflow_takes_the_sha_of_the_bots_newest_review(tmp_path: Path) -> None:
    def review(sha: str, environment: str = "prod") -> str:
        binding = PlanBinding("b" * 64, sha, "c" * 40)
        return with_binding(f"{review_marker(environment)}\n## review\n", binding)

    comments = [
        _comment("github-actions[bot]", review("1" * 64)),
        _comment("github-actions[bot]", review("2" * 64, "staging")),
        _comment("github-actions[bot]", review("3" * 64)),   # the newest prod review
        _comment("mallory", review("4" * 64)),               # a person's copy is ignored
    ]
    result = _run_step(tmp_path, comments, [{"number": 7, "merged_at": "2026-12-07T00:00:00Z"}])
    assert result.returncode == 0, result.stderr
    assert f"sha256={'3' * 64}\n" in result.stdout


@pytest.mark.parametrize(("comments", "pulls", "error"), [
    ([], [], "::error::No merged pull request for c0ffee"),
    ([_comment("mallory", with_binding("<!-- toolkit-review:prod -->\n", PlanBinding("b" * 64, "4" * 64, None)))],
     [{"number": 7, "merged_at": "2026-12-07T00:00:00Z"}], "::error::Pull request #7 has no prod review"),
])
def test_no_reviewed_sha_stops_the_apply(tmp_path: Path, comments: list, pulls: list, error: str) -> None:
    result = _run_step(tmp_path, comments, pulls)
    assert result.returncode == 1
    assert error in result.stdout


def test_the_apply_step_passes_the_reviewed_sha() -> None:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["apply"]["steps"]
    apply = next(step for step in steps if step.get("name") == "Apply the saved plan")
    assert apply["env"]["REVIEWED_PLAN_SHA256"] == "${{ steps.reviewed.outputs.sha256 }}"
    assert '--expect-plan "$REVIEWED_PLAN_SHA256"' in apply["run"]


def test_post_plan_review_posts_the_binding_of_the_saved_plan(tmp_path: Path, fake_github) -> None:
    from tests.github.test_post_review import PLAN_FIXTURE, settings_for
    from toolkit.github import post_plan_review

    folder = tmp_path / "plan"
    folder.mkdir()
    shutil.copyfile(PLAN_FIXTURE, folder / "plan.json")
    (folder / "plan.tfplan").write_bytes(b"the binary plan")
    (folder / "metadata.json").write_text(json.dumps({"git_commit": "d" * 40}))
    pull = fake_github.add_pull()
    post_plan_review(str(folder / "plan.json"), settings_for(fake_github, pull), environment="staging")
    body = fake_github.comments_on(pull)[0]["body"]
    assert body.splitlines()[0] == review_marker("staging")
    assert parse_binding(body) == PlanBinding(sha256_file(folder / "plan.json"), sha256_file(folder / "plan.tfplan"),
                                              "d" * 40)


def test_a_forged_binding_inside_the_review_does_not_win(tmp_path: Path) -> None:
    """A plan value (a tag, a name) can hold any text the review then quotes: the binding is the line under the
    marker, so the first one found, both for parse_binding and for the workflow's jq."""
    real = PlanBinding("b" * 64, "1" * 64, "c" * 40)
    forged = PlanBinding("b" * 64, "6" * 64, "c" * 40).hidden_line()
    body = with_binding(f"{review_marker('prod')}\n## review\n- `aws_s3_bucket.x` tag: `{forged}`\n", real)
    assert parse_binding(body) == real
    result = _run_step(tmp_path, [_comment("github-actions[bot]", body)],
                       [{"number": 7, "merged_at": "2026-12-07T00:00:00Z"}])
    assert result.returncode == 0, result.stderr
    assert f"sha256={'1' * 64}\n" in result.stdout
