"""post_review and post_drift against the fake GitHub server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.support.fake_github import FAKE_TOKEN, FakeGitHub
from toolkit.errors import UsageError
from toolkit.github import (
    MAX_BODY_CHARACTERS,
    GitHubClient,
    GitHubError,
    GitHubSettings,
    post_drift,
    post_plan_review,
    post_review,
    review_marker,
    review_outcome,
)

CANARY_TOKEN = "ghs_CANARY_d0_not_print_me_7f3a9c"


def settings_for(fake: FakeGitHub, pull_request: int | None = None, token: str = FAKE_TOKEN,
                 **overrides: float) -> GitHubSettings:
    return GitHubSettings(repository=fake.repository, token=token, api_url=fake.url,
                          pull_request=pull_request, **overrides)


class RecordingSleep:
    """Stands in for time.sleep so retry waits are asserted, not endured."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def review(environment: str, text: str) -> str:
    return f"{review_marker(environment)}\n## Plan for {environment}\n{text}\n"


def marked_comments(fake: FakeGitHub, number: int, environment: str) -> list[dict]:
    return [c for c in fake.comments_on(number) if review_marker(environment) in c["body"]]


def test_first_run_creates_then_second_run_edits_the_same_comment(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    settings = settings_for(fake_github, pull)

    first = post_review(review("dev", "1 to add"), "dev", "changes", settings)
    second = post_review(review("dev", "2 to add"), "dev", "changes", settings)

    assert (first.action, second.action) == ("created", "updated")
    assert first.comment_id == second.comment_id
    comments = marked_comments(fake_github, pull, "dev")
    assert len(comments) == 1
    assert "2 to add" in comments[0]["body"]
    authorizations = {request.authorization for request in fake_github.requests}
    assert authorizations == {f"Bearer {FAKE_TOKEN}"}


def test_same_body_again_changes_nothing(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    settings = settings_for(fake_github, pull)
    post_review(review("dev", "same"), "dev", "changes", settings)
    writes_before = [r for r in fake_github.requests if r.method != "GET"]

    result = post_review(review("dev", "same"), "dev", "changes", settings)

    assert result.action == "unchanged"
    assert [r for r in fake_github.requests if r.method != "GET"] == writes_before


def test_finds_its_comment_on_a_later_page_among_many(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.add_comments(pull, [f"looks good {i}" for i in range(120)])
    fake_github.add_comments(pull, [review("prod", "old plan")])
    fake_github.add_comments(pull, [f"more chatter {i}" for i in range(90)])
    settings = settings_for(fake_github, pull)

    result = post_review(review("prod", "new plan"), "prod", "destroy", settings)

    assert result.action == "updated"
    comments = marked_comments(fake_github, pull, "prod")
    assert len(comments) == 1
    assert "new plan" in comments[0]["body"]
    assert len(fake_github.comments_on(pull)) == 211
    pages = [r.query.get("page", "1") for r in fake_github.requests
             if r.method == "GET" and r.path.endswith("/comments")]
    assert pages == ["1", "2", "3"]
    first_page = next(r for r in fake_github.requests if r.path.endswith("/comments"))
    assert first_page.query["per_page"] == "100"


def test_environments_keep_separate_comments(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    settings = settings_for(fake_github, pull)

    post_review(review("dev", "dev plan"), "dev", "changes", settings)
    post_review(review("staging", "staging plan"), "staging", "no-changes", settings)
    post_review(review("dev", "dev plan v2"), "dev", "changes", settings)

    assert len(fake_github.comments_on(pull)) == 2
    assert "dev plan v2" in marked_comments(fake_github, pull, "dev")[0]["body"]
    assert "staging plan" in marked_comments(fake_github, pull, "staging")[0]["body"]


def test_marker_is_added_when_the_markdown_lacks_it(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    settings = settings_for(fake_github, pull)
    post_review("no marker here", "dev", "changes", settings)
    post_review("still no marker", "dev", "changes", settings)
    comments = fake_github.comments_on(pull)
    assert [c["body"] for c in comments] == [f"{review_marker('dev')}\nstill no marker"]


def test_labels_follow_the_outcome_and_foreign_labels_stay(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.add_labels(pull, ["needs-review", "team:platform"])
    settings = settings_for(fake_github, pull)

    first = post_review(review("dev", "x"), "dev", "changes", settings)
    assert fake_github.label_names(pull) == ["changes", "needs-review", "team:platform"]
    assert (first.labels_added, first.labels_removed) == (("changes",), ())

    second = post_review(review("dev", "x"), "dev", "destroy", settings)
    assert fake_github.label_names(pull) == ["destroy", "needs-review", "team:platform"]
    assert (second.labels_added, second.labels_removed) == (("destroy",), ("changes",))

    post_review(review("dev", "x"), "dev", "no-changes", settings)
    assert fake_github.label_names(pull) == ["needs-review", "no-changes", "team:platform"]
    deleted = [r.path.rsplit("/", 1)[-1] for r in fake_github.requests if r.method == "DELETE"]
    assert deleted == ["changes", "destroy"]


def test_unknown_outcome_is_refused_before_any_request(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    with pytest.raises(UsageError) as error:
        post_review("x", "dev", "apply", settings_for(fake_github, pull))
    assert str(error.value) == "outcome 'apply' is not one of no-changes, changes, destroy"
    assert fake_github.requests == []


@pytest.mark.parametrize(("merged", "how"), [(True, "merged"), (False, "closed")])
def test_closed_pull_request_is_left_alone(fake_github: FakeGitHub, merged: bool, how: str) -> None:
    pull = fake_github.add_pull(state="closed", merged=merged)

    result = post_review(review("dev", "x"), "dev", "changes", settings_for(fake_github, pull))

    assert result.action == "skipped"
    assert result.message == f"not posted: pull request #{pull} is {how}"
    assert fake_github.comments_on(pull) == []
    assert [r.method for r in fake_github.requests] == ["GET"]


def test_body_over_the_limit_is_refused_before_any_request(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    body = review("dev", "x" * MAX_BODY_CHARACTERS)
    with pytest.raises(GitHubError) as error:
        post_review(body, "dev", "changes", settings_for(fake_github, pull))
    assert str(error.value) == (
        f"the review of dev is {len(body):,} characters, over GitHub's limit of 65,536: not posted "
        "(GitHub would truncate it); shorten the report"
    )
    assert fake_github.requests == []


def test_body_at_the_limit_is_posted(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    marker_line = review_marker("dev") + "\n"
    body = marker_line + "x" * (MAX_BODY_CHARACTERS - len(marker_line))
    assert post_review(body, "dev", "changes", settings_for(fake_github, pull)).action == "created"
    assert len(fake_github.comments_on(pull)[0]["body"]) == MAX_BODY_CHARACTERS


def test_403_rate_limit_waits_until_the_reset_time(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    now = 1_800_000_000.0
    fake_github.fail_next("POST", r"/repos/acme/infra/issues/\d+/comments", 403,
                          {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 7)})
    sleep = RecordingSleep()
    client = GitHubClient(settings_for(fake_github, pull), sleep=sleep, clock=lambda: now)

    result = post_review(review("dev", "x"), "dev", "changes", client.settings, client=client)

    assert result.action == "created"
    assert sleep.waits == [8.0]  # until the reset, plus a second of margin
    posts = [r for r in fake_github.requests if r.method == "POST" and r.path.endswith("/comments")]
    assert len(posts) == 2
    assert len(fake_github.comments_on(pull)) == 1


def test_429_waits_for_retry_after(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.fail_next("GET", r"/repos/acme/infra/issues/\d+/comments", 429, {"retry-after": "3"}, times=2)
    sleep = RecordingSleep()
    client = GitHubClient(settings_for(fake_github, pull), sleep=sleep)

    assert post_review(review("dev", "x"), "dev", "changes", client.settings, client=client).action == "created"
    assert sleep.waits == [3.0, 3.0]


def test_rate_limit_gives_up_after_bounded_retries(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.fail_next("GET", rf"/repos/acme/infra/pulls/{pull}", 429, {"retry-after": "1"}, times=10)
    sleep = RecordingSleep()
    client = GitHubClient(settings_for(fake_github, pull), sleep=sleep)

    with pytest.raises(GitHubError) as error:
        post_review(review("dev", "x"), "dev", "changes", client.settings, client=client)

    assert str(error.value) == (
        f"GitHub API GET {fake_github.url}/repos/acme/infra/pulls/{pull} failed: HTTP 429 "
        "(API rate limit exceeded); still rate limited after 3 retries"
    )
    assert sleep.waits == [1.0, 1.0, 1.0]
    assert fake_github.comments_on(pull) == []


def test_rate_limit_refuses_a_wait_beyond_the_budget(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.fail_next("GET", rf"/repos/acme/infra/pulls/{pull}", 403,
                          {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800003600"})
    sleep = RecordingSleep()
    client = GitHubClient(settings_for(fake_github, pull, max_total_wait_seconds=120.0),
                          sleep=sleep, clock=lambda: 1_800_000_000.0)

    with pytest.raises(GitHubError) as error:
        post_review(review("dev", "x"), "dev", "changes", client.settings, client=client)

    assert str(error.value) == (
        f"GitHub rate limit on GET {fake_github.url}/repos/acme/infra/pulls/{pull}: the next retry would need "
        "3601s, beyond the 120s budget (already waited 0s); re-run later"
    )
    assert sleep.waits == []


def test_plain_403_is_not_retried(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.fail_next("GET", rf"/repos/acme/infra/pulls/{pull}", 403, {"x-ratelimit-remaining": "4999"})
    sleep = RecordingSleep()
    client = GitHubClient(settings_for(fake_github, pull), sleep=sleep)
    with pytest.raises(GitHubError) as error:
        post_review(review("dev", "x"), "dev", "changes", client.settings, client=client)
    assert "HTTP 403" in str(error.value)
    assert "issues: write, pull-requests: write" in str(error.value)
    assert sleep.waits == []


def test_token_never_appears_in_errors_or_logs(fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    pull = fake_github.add_pull()
    settings = settings_for(fake_github, pull, token=CANARY_TOKEN)
    assert CANARY_TOKEN not in repr(settings)
    caplog.set_level(logging.DEBUG, logger="toolkit.github")

    with pytest.raises(GitHubError) as error:
        post_review(review("dev", "x"), "dev", "changes", settings)

    # The fake server echoes the Authorization header it received; the client must mask it.
    assert fake_github.requests[0].authorization == f"Bearer {CANARY_TOKEN}"
    message = str(error.value)
    assert CANARY_TOKEN not in message
    assert "Bad credentials (got 'Bearer ***')" in message
    assert "check that GITHUB_TOKEN is valid" in message
    assert caplog.records, "the client logs each request at debug level"
    for record in caplog.records:
        assert CANARY_TOKEN not in record.getMessage()


def test_unreachable_server_error_is_clear(fake_github: FakeGitHub) -> None:
    settings = GitHubSettings(repository="acme/infra", token=CANARY_TOKEN, api_url="http://127.0.0.1:9",
                              pull_request=1)
    with pytest.raises(GitHubError) as error:
        post_review("x", "dev", "changes", settings)
    assert str(error.value).startswith("cannot reach GitHub at http://127.0.0.1:9: ")
    assert CANARY_TOKEN not in str(error.value)


# Settings from the GitHub Actions environment


def test_settings_from_the_actions_environment(tmp_path: Path, fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": pull}}))
    environ = {"GITHUB_REPOSITORY": "acme/infra", "GITHUB_EVENT_PATH": str(event),
               "GITHUB_TOKEN": FAKE_TOKEN, "GITHUB_API_URL": f"{fake_github.url}/api/v3/"}

    settings = GitHubSettings.from_environment(environ=environ)

    assert (settings.repository, settings.pull_request, settings.api_url) == (
        "acme/infra", pull, f"{fake_github.url}/api/v3")
    # GitHub Enterprise Server paths carry /api/v3; the fake serves both forms.
    assert post_review(review("dev", "x"), "dev", "changes", settings).action == "created"
    assert fake_github.requests[0].path == f"/repos/acme/infra/pulls/{pull}"


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    environ = {"GITHUB_REPOSITORY": "acme/other", "GITHUB_TOKEN": FAKE_TOKEN}
    settings = GitHubSettings.from_environment(repository="acme/infra", pull_request=42, environ=environ)
    assert (settings.repository, settings.pull_request, settings.api_url) == (
        "acme/infra", 42, "https://api.github.com")


@pytest.mark.parametrize(("environ", "message"), [
    ({"GITHUB_TOKEN": "t"}, "no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"),
    ({"GITHUB_REPOSITORY": "acme/infra", "GITHUB_TOKEN": "t"},
     "no pull request: pass --pr NUMBER or run in a pull_request workflow (GITHUB_EVENT_PATH)"),
    ({"GITHUB_REPOSITORY": "acme/infra", "GITHUB_EVENT_PATH": "/nonexistent/event.json", "GITHUB_TOKEN": "t"},
     "GITHUB_EVENT_PATH=/nonexistent/event.json: cannot read the event JSON "
     "([Errno 2] No such file or directory: '/nonexistent/event.json')"),
    ({"GITHUB_REPOSITORY": "acme", "GITHUB_TOKEN": "t"}, "repository 'acme' is not of the form OWNER/NAME"),
])
def test_missing_or_bad_settings_are_usage_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as error:
        GitHubSettings.from_environment(environ=environ)
    assert str(error.value) == message


def test_push_event_without_pull_request_number(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    with pytest.raises(UsageError) as error:
        GitHubSettings.from_environment(environ={"GITHUB_REPOSITORY": "acme/infra", "GITHUB_TOKEN": "t",
                                                 "GITHUB_EVENT_PATH": str(event)})
    assert str(error.value) == f"GITHUB_EVENT_PATH={event}: the event has no pull_request.number; pass --pr NUMBER"


def test_missing_token_is_an_error() -> None:
    with pytest.raises(GitHubError) as error:
        GitHubSettings.from_environment(repository="acme/infra", pull_request=1, environ={})
    assert str(error.value) == "GITHUB_TOKEN is not set: export a token with issues and pull-requests write access"


# Drift issues


def test_drift_issue_opens_updates_and_closes(fake_github: FakeGitHub) -> None:
    settings = settings_for(fake_github)
    foreign = fake_github.add_issue("Drift detected in dev", "<!-- toolkit-drift:dev -->\nold", ["drift"],
                                    state="closed")
    unrelated = fake_github.add_issue("Flaky test", "unrelated", ["drift"])

    opened = post_drift("<!-- toolkit-drift:prod -->\nbucket tags differ", "prod", True, settings)
    assert opened.action == "opened"
    issue = fake_github.state.issues[opened.issue_number]
    assert (issue["title"], issue["state"], [lab["name"] for lab in issue["labels"]]) == (
        "Drift detected in prod", "open", ["drift"])

    updated = post_drift("<!-- toolkit-drift:prod -->\nalarm threshold differs", "prod", True, settings)
    assert (updated.action, updated.issue_number) == ("updated", opened.issue_number)
    assert "alarm threshold differs" in issue["body"]
    assert len(fake_github.issues_with_label("drift")) == 3

    closed = post_drift("<!-- toolkit-drift:prod -->\nno drift", "prod", False, settings)
    assert (closed.action, closed.issue_number) == ("closed", opened.issue_number)
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert "No drift in **prod** any more" in fake_github.comments_on(opened.issue_number)[0]["body"]

    again = post_drift("<!-- toolkit-drift:prod -->\nno drift", "prod", False, settings)
    assert again.action == "unchanged"
    assert fake_github.state.issues[foreign]["state"] == "closed"
    assert fake_github.state.issues[unrelated]["state"] == "open"


def test_drift_issue_ignores_pull_requests_with_the_marker(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    fake_github.add_labels(pull, ["drift"])
    fake_github.state.issues[pull]["body"] = "<!-- toolkit-drift:dev -->"
    result = post_drift("report", "dev", True, settings_for(fake_github))
    assert result.action == "opened"
    assert result.issue_number != pull


# The review of a saved plan, as `toolkit review ENV --post github` posts it


PLAN_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "current_format.json"


@pytest.mark.parametrize(("destroy", "replace", "has_changes", "outcome"), [
    (0, 0, False, "no-changes"), (0, 0, True, "changes"), (1, 0, True, "destroy"), (0, 2, True, "destroy"),
])
def test_review_outcome(destroy: int, replace: int, has_changes: bool, outcome: str) -> None:
    assert review_outcome(destroy, replace, has_changes) == outcome


def test_post_plan_review_posts_the_review_markdown(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    settings = settings_for(fake_github, pull)

    result = post_plan_review(str(PLAN_FIXTURE), settings, environment="staging")

    assert (result.action, result.environment) == ("created", "staging")
    body = fake_github.comments_on(pull)[0]["body"]
    assert body.splitlines()[0] == review_marker("staging")
    assert "## Terraform plan review: `staging`" in body
    # The fixture destroys and replaces resources.
    assert fake_github.label_names(pull) == ["destroy"]
    assert post_plan_review(str(PLAN_FIXTURE), settings, environment="staging").action == "unchanged"
    assert len(fake_github.comments_on(pull)) == 1


def test_a_comment_quoting_the_marker_is_not_ours(fake_github: FakeGitHub) -> None:
    pull = fake_github.add_pull()
    quote = f"> {review_marker('dev')}\n> ## Plan for dev\nWhy does this destroy the bucket?"
    fake_github.add_comments(pull, [quote])

    result = post_review(review("dev", "x"), "dev", "changes", settings_for(fake_github, pull))

    assert result.action == "created"
    assert fake_github.comments_on(pull)[0]["body"] == quote
    assert len(fake_github.comments_on(pull)) == 2


def test_a_web_page_instead_of_the_api_is_a_clear_error(fake_github: FakeGitHub) -> None:
    settings = GitHubSettings(repository="acme/infra", token=FAKE_TOKEN, api_url=f"{fake_github.url}/web",
                              pull_request=1)
    with pytest.raises(GitHubError) as error:
        post_review("x", "dev", "changes", settings)
    assert str(error.value) == (
        f"GitHub API GET {fake_github.url}/web/repos/acme/infra/pulls/1 answered HTTP 200 with a body that is not "
        "JSON: check GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3)"
    )
