"""boto3 clients with bounded retries and timeouts, and AWS errors turned into user-facing messages.

Every AWS call the toolkit makes goes through `aws_client`, so throttling and 5xx answers are retried
the same way everywhere (botocore's "standard" retry mode: exponential backoff with jitter) and no
call can hang for ever (connect and read timeouts).
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from toolkit.errors import AwsError

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"
# botocore's own variable; honoured here too so an operator (or a test) can bound the attempts.
MAX_ATTEMPTS_VARIABLE = "AWS_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS = 6
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30

# Operation-name prefixes that never change anything; everything else counts as mutating.
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Select", "Query", "Scan")


@dataclass(frozen=True)
class ApiCall:
    service: str
    operation: str

    @property
    def mutating(self) -> bool:
        return not self.operation.startswith(READ_ONLY_PREFIXES)

    def __str__(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class ApiCallRecorder:
    """Counts the logical API calls made through clients it is attached to (retries are not counted)."""

    calls: list[ApiCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.calls.append(ApiCall(service, operation))

    @property
    def mutating_calls(self) -> list[ApiCall]:
        return [call for call in self.calls if call.mutating]

    def __len__(self) -> int:
        return len(self.calls)


def max_attempts() -> int:
    """Attempts per call (first try included): $AWS_MAX_ATTEMPTS when set, else the toolkit default."""
    configured = os.environ.get(MAX_ATTEMPTS_VARIABLE, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    return DEFAULT_MAX_ATTEMPTS


def resolve_endpoint(endpoint_url: str | None) -> str | None:
    """The explicit endpoint, else $AWS_ENDPOINT_URL (an emulator), else None (the real AWS endpoints)."""
    return endpoint_url or os.environ.get(ENDPOINT_VARIABLE) or None


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs on 127.0.0.0/8, ::1 or localhost: a local emulator, never AWS."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def aws_client(
    service: str,
    *,
    region: str | None,
    endpoint_url: str | None = None,
    recorder: ApiCallRecorder | None = None,
    attempts: int | None = None,
) -> Any:
    """A boto3 client using the normal credential chain, bounded retries and timeouts.

    `region` None lets boto3 resolve it (AWS_REGION, AWS_DEFAULT_REGION, the profile).

    `recorder`, when given, records every API call made with the client (for journals and call counts).
    """
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=region,
        # "total_max_attempts" counts the first try, like $AWS_MAX_ATTEMPTS; Config's "max_attempts" would
        # count retries only (botocore adds one to it).
        retries={"mode": "standard", "total_max_attempts": attempts or max_attempts()},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    endpoint = resolve_endpoint(endpoint_url)
    # An emulator on this machine gets its test keys, never the operator's real ones (nor needs any).
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"} \
        if endpoint and is_loopback_url(endpoint) else {}
    client = boto3.client(service, region_name=region, endpoint_url=endpoint, config=config, **keys)
    if recorder is not None:
        service_name = client.meta.service_model.service_name

        def _record(model: Any, **_: Any) -> None:
            recorder.record(service_name, model.name)

        client.meta.events.register("before-call", _record)
    return client


@dataclass
class ClientFactory:
    """Creates one client per service for a region and endpoint, all attached to the same recorder."""

    region: str
    endpoint_url: str | None = None
    recorder: ApiCallRecorder = field(default_factory=ApiCallRecorder)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = aws_client(
                service, region=self.region, endpoint_url=self.endpoint_url, recorder=self.recorder
            )
        return self._clients[service]


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def describe_aws_error(error: BaseException, action: str) -> str:
    """One line for the user: which call failed, AWS's code and message, and how often it was tried."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return (f"{action}: no AWS credentials found (set AWS_PROFILE, run `aws sso login`, "
                "or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
    if isinstance(error, EndpointConnectionError):
        return f"{action}: cannot reach the AWS endpoint: {error}"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code") or "Unknown"
        message = details.get("Message") or ""
        retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        tried = f" (gave up after {retries + 1} attempts)" if retries else ""
        status_text = f"HTTP {status} " if status and code == "Unknown" else ""
        return f"{action}: {status_text}{code}{': ' + message if message else ''}{tried}"
    return f"{action}: {type(error).__name__}: {error}"


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore failures inside the block into AwsError with a one-line explanation."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise AwsError(describe_aws_error(error, action)) from error


def call(action: str, function: Callable[..., Any], /, **request: Any) -> Any:
    """Call one boto3 operation; a failure after the retries becomes an AwsError naming `action`."""
    with aws_errors(action):
        return function(**request)
