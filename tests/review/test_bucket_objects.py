"""A destroyed bucket's warning says what the plan does with its objects, with the count read from the emulator
(issue 28 item 4)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from toolkit.review.render_json import write_json
from toolkit.review.service import load_review


def _review(plan: Path) -> dict:
    review = load_review(str(plan), "staging")
    out = io.StringIO()
    write_json(review, out)
    return json.loads(out.getvalue())


def test_the_object_count_is_read_where_the_bucket_can_be_reached(tmp_path: Path, current_plan: Path,
                                                                  moto_environment: object,
                                                                  moto_server) -> None:
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="staging-logs", CreateBucketConfiguration={"LocationConstraint": "sa-east-1"})
    for number in range(3):
        s3.put_object(Bucket="staging-logs", Key=f"log-{number}", Body=b"x")
    plan = tmp_path / "plan.json"
    shutil.copyfile(current_plan, plan)
    try:
        warning = next(item for item in _review(plan)["warnings"] if item["address"] == "aws_s3_bucket.logs")
    finally:
        # The emulator is shared by the session: leave no bucket another test's review could count.
        for number in range(3):
            s3.delete_object(Bucket="staging-logs", Key=f"log-{number}")
        s3.delete_bucket(Bucket="staging-logs")
    assert warning["plan_does"] == ("force_destroy = true: the apply DELETES EVERY OBJECT in the bucket "
                                    "(3 objects in it now), then the bucket")


def test_without_an_endpoint_or_credentials_no_count_is_tried(tmp_path: Path, current_plan: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    plan = tmp_path / "plan.json"
    shutil.copyfile(current_plan, plan)
    warning = next(item for item in _review(plan)["warnings"] if item["address"] == "aws_s3_bucket.logs")
    assert warning["plan_does"] == "force_destroy = true: the apply DELETES EVERY OBJECT in the bucket, then the bucket"
