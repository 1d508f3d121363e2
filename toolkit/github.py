"""Post reviews and drift reports to GitHub: one comment per environment on a pull request, one issue
per drifted environment.

Standard library only (urllib). Comments and issues are found again by a hidden HTML marker, so a
re-run edits in place instead of piling up (tfcmt's "patch" mode). The token is read from the
environment only and is masked in every message and log line this module produces.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, UsageError
from toolkit.review.markdown import render_markdown
from toolkit.review.service import load_review

DEFAULT_API_URL = "https://api.github.com"
# GitHub rejects (or silently cuts) comment and issue bodies longer than this.
MAX_BODY_CHARACTERS = 65_536
PAGE_SIZE = 100
REVIEW_LABELS = ("no-changes", "changes", "destroy")
DRIFT_LABEL = "drift"
TOKEN_MASK = "***"

logger = logging.getLogger("toolkit.github")


class GitHubError(ToolkitError):
    """A GitHub API call failed, was refused, or the settings to reach GitHub are missing."""


def review_marker(environment: str) -> str:
    """The hidden line that identifies the review comment of one environment."""
    return f"<!-- toolkit-review:{environment} -->"


def drift_marker(environment: str) -> str:
    """The hidden line that identifies the drift issue of one environment."""
    return f"<!-- toolkit-drift:{environment} -->"


def drift_issue_title(environment: str) -> str:
    return f"Drift detected in {environment}"


@dataclass(frozen=True)
class GitHubSettings:
    """Where to post and with which credentials. `token` never appears in repr() or any message."""

    repository: str
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    pull_request: int | None = None
    max_retries: int = 3
    max_total_wait_seconds: float = 120.0
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        _check_repository(self.repository)
        if not self.token:
            raise GitHubError("GITHUB_TOKEN is empty: set it to a token with issues and pull-requests write access")

    @classmethod
    def from_environment(
        cls,
        *,
        repository: str | None = None,
        pull_request: int | None = None,
        need_pull_request: bool = True,
        environ: Mapping[str, str] | None = None,
    ) -> GitHubSettings:
        """Settings from flags first, then the standard GitHub Actions variables.

        GITHUB_REPOSITORY (OWNER/NAME), GITHUB_EVENT_PATH (the event JSON: pull_request.number),
        GITHUB_TOKEN (never a flag, so it cannot leak into shell history or process lists) and
        GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3).
        """
        env = os.environ if environ is None else environ
        repository = repository or env.get("GITHUB_REPOSITORY")
        if not repository:
            raise UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
        _check_repository(repository)
        if pull_request is None and need_pull_request:
            pull_request = _pull_request_from_event(env.get("GITHUB_EVENT_PATH"))
        token = env.get("GITHUB_TOKEN", "")
        if not token:
            raise GitHubError("GITHUB_TOKEN is not set: export a token with issues and pull-requests write access")
        api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        return cls(repository=repository, token=token, api_url=api_url, pull_request=pull_request)


def _check_repository(repository: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        raise UsageError(f"repository {repository!r} is not of the form OWNER/NAME")


def _pull_request_from_event(event_path: str | None) -> int:
    if not event_path:
        raise UsageError("no pull request: pass --pr NUMBER or run in a pull_request workflow (GITHUB_EVENT_PATH)")
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"GITHUB_EVENT_PATH={event_path}: cannot read the event JSON ({error})") from None
    number = (event.get("pull_request") or {}).get("number")
    if number is None and "pull_request" in (event.get("issue") or {}):
        number = event["issue"].get("number")  # issue_comment on a pull request
    if not isinstance(number, int):
        raise UsageError(
            f"GITHUB_EVENT_PATH={event_path}: the event has no pull_request.number; pass --pr NUMBER"
        )
    return number


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any


class _NoCrossHostAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects (renamed repositories) but never carry the token to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


class GitHubClient:
    """A small REST client: JSON in and out, pagination by Link header, bounded rate-limit retries."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._opener = urllib.request.build_opener(_NoCrossHostAuthRedirect())
        self._waited = 0.0

    def redact(self, text: str) -> str:
        """Replace the token wherever it appears (error bodies may echo request headers)."""
        return text.replace(self.settings.token, TOKEN_MASK) if self.settings.token else text

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.settings.api_url}{path}"

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None, accept_statuses: tuple[int, ...] = ()) -> Response:
        url = self.url(path)
        if params:
            url = f"{url}?{urllib.parse.urlencode(params)}"
        payload = None if body is None else json.dumps(body).encode("utf-8")
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(url, data=payload, method=method, headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.settings.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "toolkit",
                **({"Content-Type": "application/json"} if payload is not None else {}),
            })
            status, headers, raw = self._send(request)
            logger.debug(self.redact(f"{method} {url} -> {status}"))
            if 200 <= status < 300 or status in accept_statuses:
                try:
                    data = json.loads(raw) if raw.strip() else None
                except ValueError:
                    raise GitHubError(self.redact(
                        f"GitHub API {method} {url} answered HTTP {status} with a body that is not JSON: "
                        "check GITHUB_API_URL (GitHub Enterprise Server: https://HOST/api/v3)"
                    )) from None
                return Response(status, headers, data)
            wait = self._retry_wait(status, headers)
            if wait is None or attempt > self.settings.max_retries:
                raise GitHubError(self.redact(self._failure_message(method, url, status, headers, raw, attempt)))
            if self._waited + wait > self.settings.max_total_wait_seconds:
                raise GitHubError(self.redact(
                    f"GitHub rate limit on {method} {url}: the next retry would need {wait:.0f}s, beyond the "
                    f"{self.settings.max_total_wait_seconds:.0f}s budget (already waited {self._waited:.0f}s); "
                    "re-run later"
                ))
            logger.info(self.redact(f"{method} {url}: HTTP {status}, retrying in {wait:.1f}s"))
            self._waited += wait
            self._sleep(wait)

    def _send(self, request: urllib.request.Request) -> tuple[int, Mapping[str, str], str]:
        try:
            with self._opener.open(request, timeout=self.settings.timeout_seconds) as response:
                return response.status, _lower_headers(response.headers), response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raw = error.read().decode("utf-8", errors="replace")
            return error.code, _lower_headers(error.headers), raw
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise GitHubError(self.redact(f"cannot reach GitHub at {self.settings.api_url}: {reason}")) from None

    def _retry_wait(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before retrying, or None when the failure is not worth a retry."""
        retry_after = headers.get("retry-after")
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if status in (403, 429):
            if retry_after and retry_after.strip().isdigit():
                return float(retry_after)
            if remaining == "0" and reset and reset.strip().isdigit():
                return max(0.0, float(reset) - self._clock()) + 1.0
            if status == 429:
                # Secondary limit without headers: GitHub asks for at least a minute.
                return 60.0
            return None  # a plain 403 is a permission problem, not a limit
        if status in (502, 503, 504):
            return 2.0
        return None

    def _failure_message(self, method: str, url: str, status: int, headers: Mapping[str, str],
                         raw: str, attempt: int) -> str:
        try:
            detail = json.loads(raw).get("message", "")
        except (ValueError, AttributeError):
            detail = raw[:200]
        text = f"GitHub API {method} {url} failed: HTTP {status}"
        if detail:
            text += f" ({detail})"
        if status in (403, 429) and (headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers):
            text += f"; still rate limited after {attempt - 1} retries"
        elif status == 401:
            text += "; check that GITHUB_TOKEN is valid"
        elif status in (403, 404):
            text += ("; check the repository name and that the token may write issues and pull requests "
                     "(workflow permissions: issues: write, pull-requests: write)")
        return text

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a list endpoint, following Link: <…>; rel="next" (per_page=100)."""
        next_url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": PAGE_SIZE, **(params or {})}
        while next_url:
            response = self.request("GET", next_url, params=query)
            yield from response.data or []
            next_url = _next_link(response.headers.get("link", ""))
            query = None  # the next link already carries the query


def _lower_headers(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()} if headers else {}


def _next_link(link_header: str) -> str | None:
    for part in link_header.split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', part)
        if match:
            return match.group(1)
    return None


def _check_body(body: str, what: str) -> None:
    if len(body) > MAX_BODY_CHARACTERS:
        raise GitHubError(
            f"the {what} is {len(body):,} characters, over GitHub's limit of {MAX_BODY_CHARACTERS:,}: "
            "not posted (GitHub would truncate it); shorten the report"
        )


def _with_marker(body: str, marker: str) -> str:
    return body if body.startswith(marker) else f"{marker}\n{body}"


def _starts_with(item: Mapping[str, Any], marker: str) -> bool:
    """Ours only when the body opens with the marker: a person quoting our comment is left alone."""
    return (item.get("body") or "").lstrip().startswith(marker)


# Pull request review comments


@dataclass(frozen=True)
class PostResult:
    """What posting a review did: created, updated, unchanged (same body) or skipped (closed pull request)."""

    action: str
    environment: str
    pull_request: int
    message: str
    comment_id: int | None = None
    url: str | None = None
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()


def post_review(markdown: str, environment: str, outcome: str, settings: GitHubSettings,
                *, client: GitHubClient | None = None) -> PostResult:
    """Create or update the environment's review comment on the pull request and set its outcome label.

    `outcome` is one of no-changes, changes, destroy. Only the other two of these labels are removed;
    labels set by people or other tools stay. A closed pull request is left alone (action "skipped").
    """
    if outcome not in REVIEW_LABELS:
        raise UsageError(f"outcome {outcome!r} is not one of {', '.join(REVIEW_LABELS)}")
    if settings.pull_request is None:
        raise UsageError("no pull request: pass --pr NUMBER or run in a pull_request workflow")
    marker = review_marker(environment)
    body = _with_marker(markdown, marker)
    _check_body(body, f"review of {environment}")
    client = client or GitHubClient(settings)
    number = settings.pull_request
    repo = f"/repos/{settings.repository}"

    pull = client.request("GET", f"{repo}/pulls/{number}").data
    if pull.get("state") != "open":
        how = "merged" if pull.get("merged") else "closed"
        return PostResult("skipped", environment, number,
                          f"not posted: pull request #{number} is {how}")

    existing = [c for c in client.paginate(f"{repo}/issues/{number}/comments") if _starts_with(c, marker)]
    if existing:
        target = existing[-1]  # the newest, as tfcmt's patch mode does
        if target.get("body") == body:
            comment, action = target, "unchanged"
        else:
            comment = client.request("PATCH", f"{repo}/issues/comments/{target['id']}", body={"body": body}).data
            action = "updated"
    else:
        comment = client.request("POST", f"{repo}/issues/{number}/comments", body={"body": body}).data
        action = "created"

    added, removed = _set_outcome_label(client, repo, number, outcome)
    return PostResult(action, environment, number,
                      f"{action} the {environment} review on pull request #{number}: {comment.get('html_url', '')}",
                      comment_id=comment.get("id"), url=comment.get("html_url"),
                      labels_added=added, labels_removed=removed)


def review_outcome(destroy: int, replace: int, has_changes: bool) -> str:
    """The label of a plan: destroy when anything is destroyed (a replace destroys too), else changes/no-changes."""
    if destroy or replace:
        return "destroy"
    return "changes" if has_changes else "no-changes"


def post_plan_review(target: str, settings: GitHubSettings, *, environment: str | None = None,
                     extra: str = "") -> PostResult:
    """Review a saved plan (an environment's latest, or a plan JSON file) and post it with post_review.

    The one call `toolkit review ENV --post github` makes: the review's own Markdown (which already fits
    one comment) and its outcome label.
    """
    from toolkit.plans.binding import binding_of
    from toolkit.plans.locate import locate_plan, read_metadata

    review = load_review(target, environment)
    summary = review.summary
    outcome = review_outcome(summary.destroy, summary.replace, summary.has_changes or bool(review.changes))
    plan_json = locate_plan(target, environment).path
    binding = binding_of(plan_json, read_metadata(plan_json).get("git_commit"))
    # `extra` (the migrations section) shares the one comment: the plan review gets what it leaves, less
    # the binding lines.
    markdown = (render_markdown(review, limit=MAX_BODY_CHARACTERS - len(extra) - 600) if extra
                else render_markdown(review))
    return post_review(with_binding(markdown, binding) + extra, review.environment, outcome, settings)


def with_binding(markdown: str, binding: Any) -> str:
    """The review with the reviewed plan's hashes and commit (toolkit.plans.binding) under its first line (the
    marker): the apply-on-merge workflow reads the hidden line back for `toolkit apply --expect-plan`."""
    first, newline, rest = markdown.partition("\n")
    return f"{first}{newline}{binding.hidden_line()}\n{binding.visible_line()}\n{rest}"


def _set_outcome_label(client: GitHubClient, repo: str, number: int,
                       outcome: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    current = {label["name"] for label in client.paginate(f"{repo}/issues/{number}/labels")}
    removed = []
    for label in REVIEW_LABELS:
        if label != outcome and label in current:
            # 404 means someone removed it meanwhile: the goal is reached either way.
            client.request("DELETE", f"{repo}/issues/{number}/labels/{urllib.parse.quote(label)}",
                           accept_statuses=(404,))
            removed.append(label)
    added = ()
    if outcome not in current:
        client.request("POST", f"{repo}/issues/{number}/labels", body={"labels": [outcome]})
        added = (outcome,)
    return added, tuple(removed)


# Drift issues


@dataclass(frozen=True)
class DriftPostResult:
    """What posting a drift report did: opened, updated, closed or unchanged (no drift, no open issue)."""

    action: str
    environment: str
    message: str
    issue_number: int | None = None
    url: str | None = None


def post_drift(markdown: str, environment: str, drifted: bool, settings: GitHubSettings,
               *, client: GitHubClient | None = None) -> DriftPostResult:
    """Open or update the environment's drift issue while drift exists; close it with a comment once gone."""
    marker = drift_marker(environment)
    body = _with_marker(markdown, marker)
    _check_body(body, f"drift report of {environment}")
    client = client or GitHubClient(settings)
    repo = f"/repos/{settings.repository}"
    open_issues = [
        issue for issue in client.paginate(f"{repo}/issues", {"state": "open", "labels": DRIFT_LABEL})
        if "pull_request" not in issue and _starts_with(issue, marker)
    ]
    title = drift_issue_title(environment)
    if drifted:
        if open_issues:
            issue = open_issues[0]
            if issue.get("body") != body or issue.get("title") != title:
                issue = client.request("PATCH", f"{repo}/issues/{issue['number']}",
                                       body={"title": title, "body": body}).data
            return DriftPostResult("updated", environment,
                                   f"updated drift issue #{issue['number']}: {issue.get('html_url', '')}",
                                   issue["number"], issue.get("html_url"))
        issue = client.request("POST", f"{repo}/issues",
                               body={"title": title, "body": body, "labels": [DRIFT_LABEL]}).data
        return DriftPostResult("opened", environment,
                               f"opened drift issue #{issue['number']}: {issue.get('html_url', '')}",
                               issue["number"], issue.get("html_url"))
    if not open_issues:
        return DriftPostResult("unchanged", environment, f"no drift in {environment} and no open drift issue")
    for issue in open_issues:
        client.request("POST", f"{repo}/issues/{issue['number']}/comments", body={
            "body": f"{marker}\nNo drift in **{environment}** any more: the real infrastructure matches the "
                    "Terraform state. Closing."})
        client.request("PATCH", f"{repo}/issues/{issue['number']}",
                       body={"state": "closed", "state_reason": "completed"})
    first = open_issues[0]
    return DriftPostResult("closed", environment, f"closed drift issue #{first['number']}: drift is gone",
                           first["number"], first.get("html_url"))
