"""Issue 26 item 3, proven on a plan: the app security group is made by the root before the data tier (database and
cache let it in, compute takes it) and keeps the group made by the code before it, by a move.

The base is the real tree at REFACTOR_BASE (tests/engine/conftest.py), applied to the stub; the working tree is
planned against that state. The group moves from compute to the root with no argument changed; its rules and the
data tier's ingress rules that name it stay as they are (nothing replaced, nothing destroyed).
"""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import REPO, RefactorProof
from tests.support.refactor_base import plan_changes

pytestmark = pytest.mark.slow

OLD = "module.compute.aws_security_group.service[0]"
NEW = 'aws_security_group.client["app"]'
RULES = ("module.compute.aws_vpc_security_group_ingress_rule.service_from_alb[0]",
         "module.compute.aws_vpc_security_group_egress_rule.service_https[0]",
         'module.compute.aws_vpc_security_group_egress_rule.service_to_groups["database"]',
         "module.compute.aws_vpc_security_group_egress_rule.alb_to_tasks[0]",
         'module.database.aws_vpc_security_group_ingress_rule.clients["app"]',
         'module.cache.aws_vpc_security_group_ingress_rule.clients["app"]')


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_app_security_group_moves_to_the_root_unchanged(refactor_proof: RefactorProof, environment: str) -> None:
    _, summary, plan_json = refactor_proof.plan(environment)
    changes = plan_changes(plan_json)
    assert NEW in changes, f"{environment}: {NEW} is not in the plan"
    group = changes[NEW]
    assert group.previous_address == OLD and group.moved_only, (group.previous_address, group.actions)
    assert group.changed_attributes() == {}, group.changed_attributes()
    assert not [address for address in changes if address.startswith("module.compute.aws_security_group.service")]
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    actions = {change["address"]: change["change"]["actions"] for change in plan["resource_changes"]}
    for rule in RULES:
        assert actions.get(rule) == ["no-op"], f"{environment}: {rule}: {actions.get(rule)}"
    assert (summary["replace"], summary["destroy"]) == (0, 0), summary


MIGRATIONS_OLD = "module.migrations_runner[0].aws_security_group.this[0]"
MIGRATIONS_NEW = 'aws_security_group.client["migrations"]'
MIGRATIONS_RULES = ("module.migrations_runner[0].aws_vpc_security_group_egress_rule.database[0]",
                    'module.database.aws_vpc_security_group_ingress_rule.clients["migrations"]')


def test_the_migration_runners_group_moves_to_the_root_unchanged(refactor_proof: RefactorProof,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner exists only when the root is given its package (no environment key sets it), so the base and the
    branch are both planned with one: its group moves to the root with no argument changed, its rules stay."""
    monkeypatch.setenv("TF_VAR_migrations_package_path", str(REPO / "terraform" / "versions.tf"))
    _, summary, plan_json = refactor_proof.plan("migrate")
    changes = plan_changes(plan_json)
    assert MIGRATIONS_NEW in changes, f"{MIGRATIONS_NEW} is not in the plan"
    group = changes[MIGRATIONS_NEW]
    assert group.previous_address == MIGRATIONS_OLD and group.moved_only, (group.previous_address, group.actions)
    assert group.changed_attributes() == {}, group.changed_attributes()
    plan = json.loads(plan_json.read_text(encoding="utf-8"))
    actions = {change["address"]: change["change"]["actions"] for change in plan["resource_changes"]}
    assert [address for address in actions if address.startswith("module.migrations_runner[0].aws_lambda")], \
        "the runner is not in the plan: TF_VAR_migrations_package_path did not reach it"
    for rule in MIGRATIONS_RULES:
        assert actions.get(rule) == ["no-op"], f"{rule}: {actions.get(rule)}"
    # The database alarms, keyed by the instance id, move by the documented `terraform state mv` in an environment
    # the root's moved blocks do not name (tests/engine/test_alarm_table_moves.py): nothing else goes.
    destroyed = [address for address, action in actions.items() if "delete" in action
                 and not address.startswith("module.monitoring.aws_cloudwatch_metric_alarm.db_")]
    assert summary["replace"] == 0 and destroyed == [], (summary, destroyed)
