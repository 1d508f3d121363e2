"""How many objects a bucket the plan destroys holds now, read with boto3 where that can be done.

Only for a real plan (an offline plan's buckets do not exist) and only where an endpoint or credentials are at
hand: the environment's emulator endpoint or $AWS_ENDPOINT_URL, or AWS credentials in the environment or a
profile. One page-walk of ListObjectsV2 per bucket, stopped at OBJECT_COUNT_CAP (the warning then says "at
least"), one attempt, short timeouts: a count that cannot be read is simply not shown, never an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from toolkit.review.plan_risks import OBJECT_COUNT_CAP

_CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def object_counter(environment: str, *, offline: bool) -> Callable[[str], int | None] | None:
    """A bucket-name -> object-count function, or None when no count can be read here."""
    if offline:
        return None
    region, endpoint = _where(environment)
    has_credentials = any(os.environ.get(name) for name in _CREDENTIAL_VARIABLES) or \
        (Path.home() / ".aws" / "credentials").is_file()
    if not endpoint and not has_credentials:
        return None
    counts: dict[str, int | None] = {}

    def count(bucket: str) -> int | None:
        if bucket not in counts:
            counts[bucket] = _count(bucket, region, endpoint)
        return counts[bucket]

    return count


def _where(environment: str) -> tuple[str | None, str | None]:
    """(region, endpoint) from envs/ENV.yaml when there is one, else the shell's AWS_REGION/AWS_ENDPOINT_URL."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    try:
        from toolkit.config import load_environment
        from toolkit.project import Project

        project = Project.discover()
        if (project.envs_dir / f"{environment}.yaml").is_file():
            settings = load_environment(project, environment).settings
            region = settings.aws_region or region
            variable = settings.backend.endpoint_from_env
            endpoint = (os.environ.get(variable) if variable else None) or endpoint
    except Exception:  # the review never fails for a count: an unreadable environment file just gives no count
        pass
    return region, endpoint


def _count(bucket: str, region: str | None, endpoint: str | None) -> int | None:
    from toolkit.aws import aws_client

    try:
        client = aws_client("s3", region=region, endpoint_url=endpoint, attempts=1)
        total = 0
        token = None
        while total < OBJECT_COUNT_CAP:
            request = {"Bucket": bucket, "MaxKeys": 1000, **({"ContinuationToken": token} if token else {})}
            page = client.list_objects_v2(**request)
            total += int(page.get("KeyCount", 0))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        return min(total, OBJECT_COUNT_CAP)
    except Exception:  # no such bucket, no permission, no network: the warning goes without a count
        return None
