"""AWS regions as botocore ships them (its partitions.json), to refuse a region that does not exist.

Read from botocore's data folder without importing botocore (configuration loading stays light).
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
from pathlib import Path


@functools.cache
def partition_regions() -> dict[str, tuple[str, ...]]:
    """Partition id (aws, aws-cn, aws-us-gov, …) -> its region names; empty when botocore is not installed."""
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        return {}
    data = Path(next(iter(spec.submodule_search_locations))) / "data" / "partitions.json"
    try:
        document = json.loads(data.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {partition["id"]: tuple(sorted(name for name in partition.get("regions", {})
                                          if not name.endswith("-global")))
            for partition in document.get("partitions", [])}


def region_problem(region: str) -> str | None:
    """None for a known region; otherwise the message: a did-you-mean and the regions of the nearest partition."""
    partitions = partition_regions()
    if not partitions or any(region in regions for regions in partitions.values()):
        return None
    every = [name for regions in partitions.values() for name in regions]
    close = difflib.get_close_matches(region, every, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    listed = ", ".join(partitions.get(partition, ()))
    return f"unknown AWS region{hint}; the {partition} partition has: {listed}"
