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


@dataclass(frozen=True)
class WaitPolicy:
    timeout_s: float
    interval_s: float


def wait_for(what: str, poll: Callable[[], T], done: Callable[[T], tuple[bool, str]], policy: WaitPolicy,
             *, failed: Callable[[T], str | None] | None = None) -> T:
    """Call `poll` until `done` says yes, `failed` reports a failure, or the deadline passes.

    `done` returns (finished, status-for-humans). The first poll is immediate.
    """
    deadline = time.monotonic() + policy.timeout_s
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
        time.sleep(policy.interval_s)
