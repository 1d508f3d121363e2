"""A fault-injecting HTTP proxy in front of the AWS emulator (127.0.0.1 only).

It forwards every request to the upstream endpoint and records it (method, path, API action, the
status it answered, whether the answer was injected). `inject` makes it answer the next N matching
requests itself — HTTP 500/503, or a throttling error in the protocol's own shape (JSON
`ThrottlingException`, query-XML `<Code>Throttling</Code>`, S3 `<Code>SlowDown</Code>`) — before it
forwards again. Tests use it to prove retries, persistent-failure errors, and that a dry run made no
changing call.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from toolkit.aws import READ_ONLY_PREFIXES

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
              "content-length"}


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str
    action: str
    status: int
    injected: bool

    @property
    def mutating(self) -> bool:
        return not self.action.startswith(READ_ONLY_PREFIXES)


@dataclass
class Fault:
    kind: str                 # "500" | "503" | "throttle"
    remaining: int            # how many more matching requests get the fault
    # An API action ("UpdateService"), a path prefix ("/bucket"), both ("PutObject /bucket/key": that object
    # exactly), or None for all.
    match: str | None = None


def s3_action(method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> str:
    if method == "HEAD":
        return "HeadObject" if path.count("/") > 1 else "HeadBucket"
    if method == "GET":
        if "versions" in query:
            return "ListObjectVersions"
        return "GetObject" if path.strip("/").count("/") >= 1 else "ListObjects"
    if method == "PUT":
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "DELETE":
        return "DeleteObject"
    return f"S3{method.title()}"


def api_action(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> str:
    """The API operation a request calls, for the JSON, query and REST (S3) protocols."""
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    parsed = urllib.parse.urlsplit(raw_path)
    return s3_action(method, parsed.path, urllib.parse.parse_qs(parsed.query, keep_blank_values=True), headers)


def protocol(headers: dict[str, str]) -> str:
    if headers.get("x-amz-target"):
        return "json"
    if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return "query"
    return "rest-xml"


def fault_response(kind: str, request_protocol: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of an injected error, shaped like the real service's."""
    if kind == "throttle":
        status, code, message = 400, "Throttling", "Rate exceeded"
    else:
        status = int(kind)
        code, message = ("InternalFailure", "injected fault") if status == 500 else \
            ("ServiceUnavailable", "injected fault")
    if request_protocol == "json":
        code = "ThrottlingException" if kind == "throttle" else code
        return status, "application/x-amz-json-1.1", json.dumps({"__type": code, "message": message}).encode()
    if request_protocol == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>fault-proxy</RequestId></ErrorResponse>")
        return status, "text/xml", body.encode()
    if kind == "throttle":
        status, code = 503, "SlowDown"
    body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
    return status, "application/xml", body.encode()


class FaultProxy:
    def __init__(self, upstream: str, unobserved: Callable[[str, str], bool] | None = None) -> None:
        # Requests (method, path) passed through untouched: neither recorded nor faulted.
        self.unobserved = unobserved or (lambda method, path: False)
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.calls: list[RecordedCall] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def inject(self, kind: str, count: int, match: str | None = None) -> None:
        if kind not in ("500", "503", "throttle"):
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self.faults.append(Fault(kind, count, match))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()

    def actions(self) -> list[str]:
        with self._lock:
            return [call.action for call in self.calls]

    def mutating_calls(self) -> list[RecordedCall]:
        with self._lock:
            return [call for call in self.calls if call.mutating and not call.injected]

    def _take_fault(self, action: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                matches = fault.match is None or fault.match == action or \
                    (fault.match.startswith("/") and path.startswith(fault.match)) or \
                    fault.match == f"{action} {path.split('?')[0]}"
                if matches and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return None

            def _body(self) -> bytes:
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("content-length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self) -> None:
                body = self._body()
                headers = {key.lower(): value for key, value in self.headers.items()}
                action = api_action(self.command, self.path, headers, body)
                internal = self.path.startswith("/moto-api") or proxy.unobserved(self.command, self.path)
                fault = None if internal else proxy._take_fault(action, self.path)
                if fault is not None:
                    status, content_type, payload = fault_response(fault.kind, protocol(headers))
                    # Recorded before answering, so a test that got the answer always sees the record.
                    proxy._record(RecordedCall(self.command, self.path, action, status, True))
                    self._reply(status, [("Content-Type", content_type)], payload)
                    return
                connection = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
                try:
                    forwarded = {key: value for key, value in self.headers.items() if key.lower() not in HOP_BY_HOP}
                    forwarded["Content-Length"] = str(len(body))
                    connection.request(self.command, self.path, body=body, headers=forwarded)
                    response = connection.getresponse()
                    payload = response.read()
                    reply_headers = [(key, value) for key, value in response.getheaders()
                                     if key.lower() not in HOP_BY_HOP]
                    if not internal:
                        proxy._record(RecordedCall(self.command, self.path, action, response.status, False))
                    self._reply(response.status, reply_headers, payload, head=self.command == "HEAD")
                finally:
                    connection.close()

            def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes, head: bool = False) -> None:
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if not head:
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        return Handler


@pytest.fixture
def fault_proxy(moto_server: Any) -> Iterator[FaultProxy]:
    """A fresh proxy in front of the session's moto server (tests.support.moto_server)."""
    proxy = FaultProxy(moto_server.endpoint_url).start()
    try:
        yield proxy
    finally:
        proxy.stop()
