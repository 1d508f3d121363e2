"""Polling with a deadline: every wait in a runbook ends, with the last observed status in the error."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from toolkit.errors import AwsError

T = TypeVar("T")


class WaitTimeout(AwsError):
    """A resource did not reach the wanted status before the deadline."""


HEARTBEAT_S = 30.0


@dataclass(frozen=True)
class WaitPolicy:
    timeout_s: float
    interval_s: float
    # Told "still waiting …" every `heartbeat_s` (a wait of up to an hour must not look like a hang).
    heartbeat: Callable[[str], None] | None = None
    heartbeat_s: float = HEARTBEAT_S
    # Called once, before the first sleep: a wait is where time passes (and Ctrl-C or a kill comes), so a runbook
    # writes its held journal entries there; a wait done at the first poll costs no write.
    before: Callable[[], None] | None = None


def wait_for(what: str, poll: Callable[[], T], done: Callable[[T], tuple[bool, str]], policy: WaitPolicy,
             *, failed: Callable[[T], str | None] | None = None) -> T:
    """Call `poll` until `done` says yes, `failed` reports a failure, or the deadline passes.

    `done` returns (finished, status-for-humans). The first poll is immediate. Every `policy.heartbeat_s` of
    waiting, `policy.heartbeat` hears how long it has been and the last status.
    """
    started = time.monotonic()
    deadline = started + policy.timeout_s
    beat = started
    before = policy.before
    while True:
        observed = poll()
        if failed is not None:
            reason = failed(observed)
            if reason:
                raise AwsError(f"{what}: {reason}")
        finished, status = done(observed)
        if finished:
            return observed
        if time.monotonic() + policy.interval_s > deadline:
            raise WaitTimeout(f"{what}: not reached after {policy.timeout_s:g} s (last status: {status})")
        if before is not None:
            before()
            before = None
        time.sleep(policy.interval_s)
        now = time.monotonic()
        if policy.heartbeat is not None and now - beat >= policy.heartbeat_s:
            beat = now
            policy.heartbeat(f"still waiting for {what}: {now - started:.0f} s of {policy.timeout_s:g} s "
                             f"(last status: {status})")
