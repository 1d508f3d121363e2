"""A fake GitHub REST API on 127.0.0.1 for the `--post github` tests.

Implements only the endpoints the toolkit uses, with the real API's shapes and behaviour that matter:
pagination (per_page, page, Link: rel="next"), labels created on first use, issues and pull requests
sharing one number space, 401 for a wrong token, and scripted failures (rate limits) for retries.

Fixtures:
- `fake_github_server` (session): the running server.
- `fake_github` (function): the same server, emptied, with token `FAKE_TOKEN` and repository
  `FAKE_REPOSITORY`; `.requests` records every call (method, path, query, body, authorization).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

FAKE_TOKEN = "ghs_fakeTokenForTests0123456789"
FAKE_REPOSITORY = "acme/infra"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class ScriptedFailure:
    method: str
    path_pattern: str
    status: int
    headers: dict[str, str]
    remaining: int


@dataclass
class FakeGitHubState:
    token: str = FAKE_TOKEN
    repository: str = FAKE_REPOSITORY
    # number -> issue dict; pull requests are issues with a "pull_request" key, as in the real API.
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[ScriptedFailure] = field(default_factory=list)
    next_number: int = 1
    next_comment_id: int = 1000


class FakeGitHub:
    """Server state plus helpers to seed it; all mutation happens under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state = FakeGitHubState()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.state = FakeGitHubState()

    # Seeding

    @property
    def repository(self) -> str:
        return self.state.repository

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    def add_pull(self, state: str = "open", merged: bool = False) -> int:
        with self.lock:
            number = self._new_issue(f"PR {self.state.next_number}", "", labels=[], is_pull=True)
            self.state.issues[number]["state"] = state
            self.state.pulls[number] = {"number": number, "state": state, "merged": merged,
                                        "html_url": f"https://github.test/{self.repository}/pull/{number}"}
            return number

    def add_comments(self, number: int, bodies: list[str]) -> None:
        with self.lock:
            for body in bodies:
                self._new_comment(number, body)

    def add_labels(self, number: int, labels: list[str]) -> None:
        with self.lock:
            self.state.issues[number]["labels"].extend({"name": name} for name in labels)

    def add_issue(self, title: str, body: str, labels: list[str], state: str = "open") -> int:
        with self.lock:
            number = self._new_issue(title, body, labels, is_pull=False)
            self.state.issues[number]["state"] = state
            return number

    def fail_next(self, method: str, path_pattern: str, status: int, headers: dict[str, str],
                  times: int = 1) -> None:
        """Answer the next `times` matching requests with `status` and `headers` (rate-limit drills)."""
        with self.lock:
            self.state.failures.append(ScriptedFailure(method, path_pattern, status, headers, times))

    # Queries for assertions

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.state.comments if c["issue_number"] == number]

    def label_names(self, number: int) -> list[str]:
        return sorted(label["name"] for label in self.state.issues[number]["labels"])

    def issues_with_label(self, label: str) -> list[dict[str, Any]]:
        return [i for i in self.state.issues.values()
                if "pull_request" not in i and any(lab["name"] == label for lab in i["labels"])]

    # Internals (called with the lock held)

    def _new_issue(self, title: str, body: str, labels: list[str], *, is_pull: bool) -> int:
        number = self.state.next_number
        self.state.next_number += 1
        issue: dict[str, Any] = {
            "number": number, "title": title, "body": body, "state": "open", "state_reason": None,
            "labels": [{"name": name} for name in labels],
            "html_url": f"https://github.test/{self.repository}/issues/{number}",
        }
        if is_pull:
            issue["pull_request"] = {"url": f"/repos/{self.repository}/pulls/{number}"}
        self.state.issues[number] = issue
        return number

    def _new_comment(self, number: int, body: str) -> dict[str, Any]:
        comment_id = self.state.next_comment_id
        self.state.next_comment_id += 1
        comment = {"id": comment_id, "issue_number": number, "body": body, "user": {"login": "github-actions[bot]"},
                   "html_url": f"https://github.test/{self.repository}/issues/{number}#issuecomment-{comment_id}"}
        self.state.comments.append(comment)
        return comment


class _Reply(Exception):
    def __init__(self, status: int, data: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.data = data
        self.headers = headers or {}


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            if split.path.startswith("/web/"):
                # The website, not the API: what a GITHUB_API_URL without /api/v3 reaches on Enterprise.
                page = b"<!DOCTYPE html><html><body>Sign in to GitHub</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            path = re.sub(r"^/api/v3", "", split.path)  # GitHub Enterprise Server prefix
            query = {key: values[-1] for key, values in parse_qs(split.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            authorization = self.headers.get("Authorization", "")
            try:
                with fake.lock:
                    fake.state.requests.append(RecordedRequest(method, path, query, body, authorization))
                    self._scripted_failure(method, path)
                    if authorization != f"Bearer {fake.state.token}":
                        # The real API does not echo the header; this one does, to prove the client masks it.
                        raise _Reply(401, {"message": f"Bad credentials (got {authorization!r})"})
                    raise _route(fake, method, path, query, body, f"{fake.url}{split.path}")
            except _Reply as reply:
                self._send(reply)

        def _scripted_failure(self, method: str, path: str) -> None:
            for failure in fake.state.failures:
                if failure.remaining and failure.method == method and re.fullmatch(failure.path_pattern, path):
                    failure.remaining -= 1
                    raise _Reply(failure.status, {"message": "API rate limit exceeded"}, failure.headers)

        def _send(self, reply: _Reply) -> None:
            payload = b"" if reply.data is None else json.dumps(reply.data).encode("utf-8")
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _page(items: list[dict[str, Any]], query: dict[str, str], base_url: str) -> _Reply:
    per_page = min(int(query.get("per_page", 30)), 100)
    page = int(query.get("page", 1))
    chunk = items[(page - 1) * per_page: page * per_page]
    headers = {}
    links = []
    last = max(1, -(-len(items) // per_page))
    if page < last:
        links.append(f'<{base_url}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        links.append(f'<{base_url}?{urlencode({**query, "page": last})}>; rel="last"')
    if page > 1:
        links.append(f'<{base_url}?{urlencode({**query, "page": 1})}>; rel="first"')
    if links:
        headers["Link"] = ", ".join(links)
    return _Reply(200, chunk, headers)


def _public_comment(comment: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in comment.items() if key != "issue_number"}


def _route(fake: FakeGitHub, method: str, path: str, query: dict[str, str], body: Any,
           base_url: str) -> _Reply:
    state = fake.state
    match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)", path)
    if not match or match.group(1) != state.repository:
        return _Reply(404, {"message": "Not Found"})
    rest = match.group(2)

    if method == "GET" and (m := re.fullmatch(r"/pulls/(\d+)", rest)):
        pull = state.pulls.get(int(m.group(1)))
        return _Reply(200, pull) if pull else _Reply(404, {"message": "Not Found"})

    if (m := re.fullmatch(r"/issues/(\d+)/comments", rest)):
        number = int(m.group(1))
        if number not in state.issues:
            return _Reply(404, {"message": "Not Found"})
        if method == "GET":
            comments = [_public_comment(c) for c in state.comments if c["issue_number"] == number]
            return _page(comments, query, base_url)
        if method == "POST":
            return _Reply(201, _public_comment(fake._new_comment(number, body["body"])))

    if method == "PATCH" and (m := re.fullmatch(r"/issues/comments/(\d+)", rest)):
        for comment in state.comments:
            if comment["id"] == int(m.group(1)):
                comment["body"] = body["body"]
                return _Reply(200, _public_comment(comment))
        return _Reply(404, {"message": "Not Found"})

    if (m := re.fullmatch(r"/issues/(\d+)/labels", rest)):
        issue = state.issues.get(int(m.group(1)))
        if issue is None:
            return _Reply(404, {"message": "Not Found"})
        if method == "GET":
            return _page(issue["labels"], query, base_url)
        if method == "POST":
            names = {label["name"] for label in issue["labels"]}
            issue["labels"].extend({"name": name} for name in body["labels"] if name not in names)
            return _Reply(200, issue["labels"])

    if method == "DELETE" and (m := re.fullmatch(r"/issues/(\d+)/labels/([^/]+)", rest)):
        issue = state.issues.get(int(m.group(1)))
        name = unquote(m.group(2))
        if issue is None or name not in {label["name"] for label in issue["labels"]}:
            return _Reply(404, {"message": "Label does not exist"})
        issue["labels"] = [label for label in issue["labels"] if label["name"] != name]
        return _Reply(200, issue["labels"])

    if rest == "/issues":
        if method == "GET":
            wanted_state = query.get("state", "open")
            wanted_labels = set(filter(None, query.get("labels", "").split(",")))
            found = [i for i in state.issues.values()
                     if wanted_state in ("all", i["state"])
                     and wanted_labels <= {label["name"] for label in i["labels"]}]
            return _page(found, query, base_url)
        if method == "POST":
            number = fake._new_issue(body["title"], body.get("body", ""), body.get("labels", []), is_pull=False)
            return _Reply(201, state.issues[number])

    if (m := re.fullmatch(r"/issues/(\d+)", rest)):
        issue = state.issues.get(int(m.group(1)))
        if issue is None:
            return _Reply(404, {"message": "Not Found"})
        if method == "GET":
            return _Reply(200, issue)
        if method == "PATCH":
            for key in ("title", "body", "state", "state_reason"):
                if key in body:
                    issue[key] = body[key]
            return _Reply(200, issue)

    return _Reply(404, {"message": f"fake GitHub does not implement {method} {path}"})


@pytest.fixture(scope="session")
def fake_github_server() -> Iterator[FakeGitHub]:
    server = FakeGitHub()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_github(fake_github_server: FakeGitHub) -> FakeGitHub:
    fake_github_server.reset()
    return fake_github_server
