"""Issue 26 item 1, proven on a plan: one S3 bucket pattern (the access-log bucket joins the storage buckets' for_each,
audit calls the storage module) keeps every bucket made by the code before it (main 4201664).

dev, staging and prod of the code at 4201664 are applied to the stub provider; the working tree is planned against
that state (`toolkit plan ENV --offline --against main` in a throw-away repository). Nothing may be replaced or
destroyed; the old addresses move; the only other changes are the ones listed below, each with its reason.
"""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import RefactorProof
from tests.support.refactor_base import PlannedChange, plan_changes

pytestmark = pytest.mark.slow

ENVIRONMENTS = ("dev", "staging", "prod")
STORAGE = "module.storage"
AUDIT = "module.audit[0]"
LOG_RESOURCES = ("aws_s3_bucket", "aws_s3_bucket_ownership_controls", "aws_s3_bucket_public_access_block",
                 "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_lifecycle_configuration",
                 "aws_s3_bucket_policy")
AUDIT_RESOURCES = (*LOG_RESOURCES, "aws_s3_bucket_versioning")
LOG_POLICY = f'{STORAGE}.aws_s3_bucket_policy.this["access-logs"]'
AUDIT_POLICY = f'{AUDIT}.module.bucket.aws_s3_bucket_policy.this["audit"]'
AUDIT_BUCKET = f'{AUDIT}.module.bucket.aws_s3_bucket.this["audit"]'
LOG_VERSIONING = f'{STORAGE}.aws_s3_bucket_versioning.this["access-logs"]'
TLS_MINIMUM = {"Sid": "DenyOutdatedTls", "Effect": "Deny", "Action": "s3:*", "Principal": "*",
               "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}


def expected_moves(environment: str) -> dict[str, str]:
    """New address -> old address of every resource the refactor moves."""
    moves = {f'{STORAGE}.{kind}.this["access-logs"]': f"{STORAGE}.{kind}.access_logs[0]" for kind in LOG_RESOURCES}
    if environment == "prod":  # the only environment with a trail
        moves |= {f'{AUDIT}.module.bucket.{kind}.this["audit"]': f"{AUDIT}.{kind}.this[0]" for kind in AUDIT_RESOURCES}
    return moves


@pytest.fixture(scope="module")
def plans(refactor_proof: RefactorProof) -> dict[str, dict[str, PlannedChange]]:
    planned = {}
    for environment in ENVIRONMENTS:
        exit_code, summary, plan_json = refactor_proof.plan(environment)
        assert exit_code == 2, summary  # 2: changes (the justified ones below)
        assert summary["offline_base"]["ref"] == "main" and summary["offline_base"]["environment_at_base"] == "yes"
        planned[environment] = plan_changes(plan_json)
    return planned


def _statements(policy: str) -> list[dict[str, object]]:
    return json.loads(policy)["Statement"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_nothing_is_replaced_or_destroyed(plans: dict[str, dict[str, PlannedChange]], environment: str) -> None:
    bad = {address: change.actions for address, change in plans[environment].items()
           if "delete" in change.actions or change.actions == ("create", "delete")}
    assert bad == {}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_old_address_moves_to_the_one_pattern(plans: dict[str, dict[str, PlannedChange]],
                                                    environment: str) -> None:
    # The alarm table's moves (issue 26 item 2) are tests/engine/test_alarm_table_moves.py's, the app security
    # group's (item 3) tests/engine/test_client_security_groups.py's.
    moved = {address: change.previous_address for address, change in plans[environment].items()
             if change.previous_address is not None and ".aws_cloudwatch_metric_alarm." not in address
             and not address.startswith("aws_security_group.client[")}
    assert moved == expected_moves(environment)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_only_other_changes_are_the_justified_ones(plans: dict[str, dict[str, PlannedChange]],
                                                       environment: str) -> None:
    changes = plans[environment]
    others = {address: change.actions for address, change in changes.items() if not change.moved_only}
    justified = {
        # The TLS 1.2 minimum, denied before only on the data buckets, now on the access-log bucket too.
        LOG_POLICY: ("update",),
        # Every bucket states its versioning: the log bucket stays unversioned; "Disabled" is recorded in state
        # without an API call (AWS provider: status Disabled is for creating or importing unversioned buckets).
        LOG_VERSIONING: ("create",),
    }
    if environment == "prod":
        # The TLS 1.2 minimum on the CloudTrail bucket too.
        justified[AUDIT_POLICY] = ("update",)
        # force_destroy false is now written for every bucket. The stub provider knows no schema defaults and
        # shows null -> false; the AWS provider's default for force_destroy is false, so AWS sees no change.
        justified[AUDIT_BUCKET] = ("update",)
    assert others == justified

    assert changes[LOG_VERSIONING].after["versioning_configuration"][0]["status"] == "Disabled"
    policies = [LOG_POLICY, AUDIT_POLICY] if environment == "prod" else [LOG_POLICY]
    for address in policies:
        assert list(changes[address].changed_attributes()) == ["policy"], address
        before, after = (_statements(changes[address].before["policy"]),
                         _statements(changes[address].after["policy"]))
        added = after[len(before):]
        assert after[:len(before)] == before, address  # every statement kept, in its place
        assert [{key: value for key, value in statement.items() if key != "Resource"} for statement in added] == [
            TLS_MINIMUM], address
    if environment == "prod":
        assert changes[AUDIT_BUCKET].changed_attributes() == {"force_destroy": (None, False)}
