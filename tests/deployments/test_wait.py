"""toolkit.deployments: the wait after a successful terraform apply, against the emulator and, where moto cannot
say it (a circuit-breaker rollback, rolloutState FAILED, pending-reboot), botocore's Stubber."""

from __future__ import annotations

import itertools
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.support.moto_server import REGION, MotoServer
from toolkit.deployments import EcsTarget, Targets, WaitSettings, changed_targets, wait_for_deployments

CLUSTER = "dep-wait"
OLD_TD = f"arn:aws:ecs:{REGION}:123456789012:task-definition/dep-app:1"
NEW_TD = f"arn:aws:ecs:{REGION}:123456789012:task-definition/dep-app:2"


class FakeClock:
    """Time that moves only when the wait sleeps: bounded waits are tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _hint(kind: str) -> str:
    return f"rollback step for {kind}"


def _wait(targets: Targets, clients: Any, settings: WaitSettings, clock: FakeClock | None = None) -> tuple[list, list]:
    lines: list[str] = []
    clock = clock or FakeClock()
    problems = wait_for_deployments(targets, clients, settings, report=lines.append, rollback_hint=_hint,
                                    clock=clock, sleep=clock.sleep)
    return problems, lines


# --- the emulator -------------------------------------------------------------------------------------------


def _register(ecs: Any, image: str) -> str:
    return ecs.register_task_definition(family="dep-app", containerDefinitions=[
        {"name": "app", "image": image, "memory": 512}])["taskDefinition"]["taskDefinitionArn"]


def test_a_service_steady_on_its_new_task_definition_settles(moto_server: MotoServer) -> None:
    ecs = moto_server.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    first = _register(ecs, "app:1")
    ecs.create_service(cluster=CLUSTER, serviceName="steady", taskDefinition=first, desiredCount=2)
    second = _register(ecs, "app:2")
    ecs.update_service(cluster=CLUSTER, service="steady", taskDefinition=second)
    target = EcsTarget("aws_ecs_service.app", CLUSTER, "steady", second)
    problems, lines = _wait(Targets(services=[target]), moto_server.client, WaitSettings(emulator=True))
    assert problems == []
    assert lines[0].startswith("emulator endpoint: the task definition deployed is read from the service's")
    assert f"ECS service steady: steady on {second.rsplit('/', 1)[-1]} (10 running)" in lines


def test_a_service_on_another_task_definition_is_reported(moto_server: MotoServer) -> None:
    ecs = moto_server.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    first = _register(ecs, "app:1")
    ecs.create_service(cluster=CLUSTER, serviceName="behind", taskDefinition=first, desiredCount=1)
    target = EcsTarget("aws_ecs_service.app", CLUSTER, "behind", "dep-app:999")
    problems, _ = _wait(Targets(services=[target]), moto_server.client, WaitSettings(emulator=True))
    assert [(problem.kind, problem.step) for problem in problems] == [("rolled-back", "rollback step for rolled-back")]


def test_an_in_sync_db_parameter_group_settles(moto_server: MotoServer) -> None:
    rds = moto_server.client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="dep-pg", DBParameterGroupFamily="postgres15",
                                  Description="wait test")
    rds.create_db_instance(DBInstanceIdentifier="dep-db", DBInstanceClass="db.t3.micro", Engine="postgres",
                           MasterUsername="app", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
                           DBParameterGroupName="dep-pg")
    rds.modify_db_parameter_group(DBParameterGroupName="dep-pg", Parameters=[
        {"ParameterName": "max_connections", "ParameterValue": "200", "ApplyMethod": "pending-reboot"}])
    problems, _ = _wait(Targets(db_groups={"dep-pg"}), moto_server.client, WaitSettings(emulator=True))
    assert problems == []


def test_targets_are_what_the_plan_changed_named_as_the_state_names_them() -> None:
    plan = {"resource_changes": [
        {"address": "module.compute.aws_ecs_service.this", "mode": "managed", "type": "aws_ecs_service",
         "change": {"actions": ["update"]}},
        {"address": "aws_ecs_service.untouched", "mode": "managed", "type": "aws_ecs_service",
         "change": {"actions": ["no-op"]}},
        {"address": "aws_db_parameter_group.this[\"main\"]", "mode": "managed", "type": "aws_db_parameter_group",
         "change": {"actions": ["update"]}},
        {"address": "aws_elasticache_parameter_group.this", "mode": "managed",
         "type": "aws_elasticache_parameter_group", "change": {"actions": ["create"]}},
        {"address": "aws_ecs_service.gone", "mode": "managed", "type": "aws_ecs_service",
         "change": {"actions": ["delete"]}},
    ]}
    state = {"resources": [
        {"mode": "managed", "module": "module.compute", "type": "aws_ecs_service", "name": "this",
         "instances": [{"attributes": {"cluster": "arn:cluster/c", "name": "svc", "task_definition": NEW_TD}}]},
        {"mode": "managed", "type": "aws_ecs_service", "name": "untouched",
         "instances": [{"attributes": {"cluster": "c", "name": "other", "task_definition": OLD_TD}}]},
        {"mode": "managed", "type": "aws_db_parameter_group", "name": "this",
         "instances": [{"index_key": "main", "attributes": {"name": "pg-main"}}]},
        {"mode": "managed", "type": "aws_elasticache_parameter_group", "name": "this",
         "instances": [{"attributes": {"name": "cache-pg"}}]},
    ]}
    targets = changed_targets(plan, state)
    assert targets.services == [EcsTarget("module.compute.aws_ecs_service.this", "arn:cluster/c", "svc", NEW_TD)]
    assert (targets.db_groups, targets.cache_groups) == ({"pg-main"}, {"cache-pg"})
    assert not changed_targets({"resource_changes": plan["resource_changes"][1:2]}, state)


# --- what moto cannot say: Stubber --------------------------------------------------------------------------


def _stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def _service(task_definition: str, deployments: list[dict]) -> dict:
    return {"services": [{"serviceName": "web", "taskDefinition": task_definition, "deployments": deployments}]}


def _deployment(task_definition: str, status: str, rollout: str, running: int = 2, reason: str = "") -> dict:
    return {"id": f"ecs-svc/{rollout}", "status": status, "taskDefinition": task_definition, "desiredCount": 2,
            "runningCount": running, "pendingCount": 2 - running, "rolloutState": rollout,
            "rolloutStateReason": reason}


WEB = EcsTarget("aws_ecs_service.web", "prod", "web", NEW_TD)
CIRCUIT_BREAKER = ("ECS deployment circuit breaker: tasks failed to start. Rolling back to deployment "
                   "ecs-svc/COMPLETED.")


@pytest.mark.parametrize(("answers", "kind", "words"), [
    # The circuit breaker rolled back: the service names the old task definition, the new deployment FAILED.
    ([_service(OLD_TD, [_deployment(OLD_TD, "PRIMARY", "IN_PROGRESS", 1),
                        _deployment(NEW_TD, "ACTIVE", "FAILED", 0, CIRCUIT_BREAKER)])],
     "rolled-back", f"the service runs dep-app:1 again, not dep-app:2 ({CIRCUIT_BREAKER})"),
    # rolloutState FAILED without a rollback (the circuit breaker's rollback switched off).
    ([_service(NEW_TD, [_deployment(NEW_TD, "PRIMARY", "FAILED", 0, "tasks failed to start")])],
     "failed", "the deployment of dep-app:2 failed: tasks failed to start"),
])
def test_a_rolled_back_or_failed_deployment_is_a_problem(answers: list, kind: str, words: str) -> None:
    ecs, stubber = _stubbed("ecs")
    for answer in answers:
        stubber.add_response("describe_services", answer, {"cluster": "prod", "services": ["web"]})
    with stubber:
        problems, _ = _wait(Targets(services=[WEB]), lambda _service: ecs, WaitSettings())
    assert [(problem.what, problem.kind, problem.message, problem.step) for problem in problems] == [
        ("ecs:web", kind, f"ECS service web: {words}", f"rollback step for {kind}")]
    stubber.assert_no_pending_responses()


def test_a_deployment_that_settles_after_a_few_polls_passes_with_progress_lines() -> None:
    ecs, stubber = _stubbed("ecs")
    rolling = _service(NEW_TD, [_deployment(NEW_TD, "PRIMARY", "IN_PROGRESS", 1),
                                _deployment(OLD_TD, "ACTIVE", "COMPLETED", 2)])
    for answer in (rolling, rolling, _service(NEW_TD, [_deployment(NEW_TD, "PRIMARY", "COMPLETED", 2)])):
        stubber.add_response("describe_services", answer)
    clock = FakeClock()
    with stubber:
        problems, lines = _wait(Targets(services=[WEB]), lambda _service: ecs, WaitSettings(interval_s=10), clock)
    assert problems == []
    assert lines == ["waiting for ECS service web to reach a steady state on dep-app:2 (up to 600s)",
                     "ECS service web: dep-app:2: 1 of 2 running, rollout IN_PROGRESS, 1 older deployment(s) draining",
                     "ECS service web: steady on dep-app:2 (2 running)"]
    assert clock.sleeps == [10, 10]


def test_a_deployment_stuck_past_the_limit_is_a_problem_after_a_bounded_wait() -> None:
    ecs, stubber = _stubbed("ecs")
    rolling = _service(NEW_TD, [_deployment(NEW_TD, "PRIMARY", "IN_PROGRESS", 1)])
    for _ in range(7):
        stubber.add_response("describe_services", rolling)
    clock = FakeClock()
    with stubber:
        problems, _ = _wait(Targets(services=[WEB]), lambda _service: ecs, WaitSettings(timeout_s=60, interval_s=10),
                            clock)
    assert [(problem.kind, problem.message) for problem in problems] == [
        ("stuck", "ECS service web: not steady after 60s (dep-app:2: 1 of 2 running, rollout IN_PROGRESS)")]
    assert clock.now <= 60 and len(clock.sleeps) == 6


def test_the_primary_deployment_must_run_the_new_task_definition_on_aws() -> None:
    """On AWS (no emulator) the service naming the new revision is not enough: its PRIMARY deployment must run it."""
    ecs, stubber = _stubbed("ecs")
    for _ in range(2):
        stubber.add_response("describe_services", _service(NEW_TD, [_deployment(OLD_TD, "PRIMARY", "COMPLETED", 2)]))
    with stubber:
        problems, _ = _wait(Targets(services=[WEB]), lambda _service: ecs, WaitSettings(timeout_s=10, interval_s=10))
    assert [problem.kind for problem in problems] == ["stuck"]


def _db_answers(stubber: Stubber, instance_status: str, member_status: str) -> None:
    stubber.add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "prod-db", "DBParameterGroups": [
            {"DBParameterGroupName": "prod-pg", "ParameterApplyStatus": instance_status}]},
        {"DBInstanceIdentifier": "other-db", "DBParameterGroups": [
            {"DBParameterGroupName": "not-changed", "ParameterApplyStatus": "pending-reboot"}]}]})
    stubber.add_response("describe_db_clusters", {"DBClusters": [
        {"DBClusterIdentifier": "prod-aurora", "DBClusterParameterGroup": "prod-pg",
         "DBClusterMembers": [{"DBInstanceIdentifier": "prod-aurora-1",
                               "DBClusterParameterGroupStatus": member_status}]}]})


def test_a_parameter_group_left_pending_reboot_is_a_problem_with_the_reboot_step() -> None:
    rds, stubber = _stubbed("rds")
    _db_answers(stubber, "applying", "in-sync")
    _db_answers(stubber, "pending-reboot", "pending-reboot")
    cache, cache_stubber = _stubbed("elasticache")
    for status in ("pending-reboot", "pending-reboot"):
        cache_stubber.add_response("describe_cache_clusters", {"CacheClusters": [
            {"CacheClusterId": "prod-redis-001", "CacheParameterGroup": {
                "CacheParameterGroupName": "prod-cache-pg", "ParameterApplyStatus": status}}]})
    clients = {"rds": rds, "elasticache": cache}
    with stubber, cache_stubber:
        problems, _ = _wait(Targets(db_groups={"prod-pg"}, cache_groups={"prod-cache-pg"}), clients.__getitem__,
                            WaitSettings())
    assert [(problem.what, problem.kind) for problem in problems] == [
        ("elasticache:prod-redis-001", "pending-reboot"), ("rds:prod-aurora-1", "pending-reboot"),
        ("rds:prod-db", "pending-reboot")]
    steps = {problem.what: problem.step for problem in problems}
    assert steps["rds:prod-db"].endswith("aws rds reboot-db-instance --db-instance-identifier prod-db")
    assert "aws elasticache reboot-cache-cluster --cache-cluster-id prod-redis-001" in steps[
        "elasticache:prod-redis-001"]


def test_nothing_to_wait_for_makes_no_call() -> None:
    calls = itertools.count()
    problems, lines = _wait(Targets(), lambda _service: next(calls), WaitSettings())
    assert (problems, lines, next(calls)) == ([], [], 0)


def test_only_a_plan_changing_a_service_or_a_parameter_group_is_waited_for() -> None:
    from toolkit.deployments import changes_watched_resources

    def plan(kind: str, actions: list[str]) -> dict:
        return {"resource_changes": [{"address": f"{kind}.x", "mode": "managed", "type": kind,
                                      "change": {"actions": actions}}]}

    assert changes_watched_resources(plan("aws_ecs_service", ["update"]))
    assert changes_watched_resources(plan("aws_rds_cluster_parameter_group", ["create"]))
    assert not changes_watched_resources(plan("aws_ecs_service", ["delete"]))
    assert not changes_watched_resources(plan("aws_s3_bucket", ["update"]))
