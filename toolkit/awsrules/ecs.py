"""ECS on Fargate: the task's CPU and memory must be one of the pairs Fargate offers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from toolkit.awsrules.base import UNKNOWN, Problem, Resource, Rule, Source

SOURCE = Source("Amazon ECS Developer Guide: task CPU and memory (Fargate combinations)",
                "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html"
                "#fargate-tasks-size")
TROUBLESHOOTING = Source("Amazon ECS: troubleshoot invalid CPU or memory (No Fargate configuration exists)",
                         "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html")


def _memory_range(low_gb: int, high_gb: int, step_gb: int) -> tuple[int, ...]:
    return tuple(gb * 1024 for gb in range(low_gb, high_gb + 1, step_gb))


# CPU units → memory (MiB) Fargate accepts with it.
FARGATE_PAIRS: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _memory_range(1, 4, 1),
    1024: _memory_range(2, 8, 1),
    2048: _memory_range(4, 16, 1),
    4096: _memory_range(8, 30, 1),
    8192: _memory_range(16, 60, 4),
    16384: _memory_range(32, 120, 8),
}
_VCPU = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*vcpu\s*$", re.IGNORECASE)
_GB = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*gb\s*$", re.IGNORECASE)


def _units(value: Any, pattern: re.Pattern[str], factor: int) -> int | None:
    """ECS accepts "1024", 1024, "1 vCPU" / "2 GB"; None for anything else (ECS refuses it on its own)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value.strip().isdigit():
            return int(value)
        matched = pattern.match(value)
        if matched:
            return round(float(matched.group(1)) * factor)
    return None


def check_fargate_size(resource: Resource, view: Any) -> Iterator[Problem]:
    compatibilities = resource.get("requires_compatibilities")
    if not isinstance(compatibilities, list) or "FARGATE" not in compatibilities:
        return
    cpu_value, memory_value = resource.get("cpu"), resource.get("memory")
    if cpu_value is UNKNOWN or memory_value is UNKNOWN:
        return
    if cpu_value is None or memory_value is None:
        yield Problem("a FARGATE task definition needs task-level cpu and memory: set both to a Fargate pair "
                      "(e.g. cpu 512 with memory 1024)")
        return
    cpu = _units(cpu_value, _VCPU, 1024)
    memory = _units(memory_value, _GB, 1024)
    if cpu is None or memory is None:
        return
    allowed = FARGATE_PAIRS.get(cpu)
    if allowed is None:
        yield Problem(f"cpu {cpu} is not a Fargate size (one of {', '.join(map(str, FARGATE_PAIRS))}): ECS answers "
                      "\"No Fargate configuration exists for given values\"; pick a listed cpu")
    elif memory not in allowed:
        fits = [units for units, memories in FARGATE_PAIRS.items() if memory in memories]
        hint = f"; memory {memory} fits cpu {', '.join(map(str, fits))}" if fits else ""
        yield Problem(f"cpu {cpu} with memory {memory} is not a Fargate pair (cpu {cpu} takes memory "
                      f"{allowed[0]}-{allowed[-1]} in steps of {allowed[1] - allowed[0] if len(allowed) > 1 else 0}"
                      f"{' or ' + ', '.join(map(str, allowed)) if cpu == 256 else ''}){hint}")


RULES = (
    Rule("AWS-ECS-001", "Fargate task CPU and memory form a supported pair", ("aws_ecs_task_definition",),
         (SOURCE, TROUBLESHOOTING), check_fargate_size),
)
