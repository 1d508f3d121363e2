"""Parameter groups replaced under a fixed name: destroy-first fails while a cache or database uses the group,
create-first fails because the name is taken. AWS refuses both; the plan shows which order Terraform will use."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.awsrules.base import Problem, Resource, Rule, Source
from toolkit.awsrules.plan_view import PlanView

ELASTICACHE = Source("ElastiCache API: DeleteCacheParameterGroup (a group in use cannot be deleted)",
                     "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/"
                     "API_DeleteCacheParameterGroup.html")
RDS = Source("RDS API: DeleteDBParameterGroup (a group associated with a DB instance cannot be deleted)",
             "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBParameterGroup.html")

# Group type → (the types that use it, their attribute naming the group).
USERS = {
    "aws_elasticache_parameter_group": (("aws_elasticache_replication_group", "aws_elasticache_cluster"),
                                        "parameter_group_name"),
    "aws_db_parameter_group": (("aws_db_instance",), "parameter_group_name"),
    "aws_rds_cluster_parameter_group": (("aws_rds_cluster",), "db_cluster_parameter_group_name"),
}


def check_replaced_group(resource: Resource, view: PlanView) -> Iterator[Problem]:
    user_types, attribute = USERS[resource.type]
    name, old_name = resource.get("name"), resource.before_value("name")
    if not isinstance(old_name, str):
        return
    if resource.replaced_create_first and name == old_name:
        yield Problem(f'the group is replaced create-before-destroy under the same name "{name}": the create '
                      "fails because the name is taken; use name_prefix (or a name that changes with the family)")
    if not resource.replaced_destroy_first:
        return
    users = [user for user in view.of_type(*user_types, unchanged=True)
             if user.before_value(attribute) == old_name and not user.replaced_destroy_first
             and user.actions != ("delete",)]
    if users:
        yield Problem(f'the group "{old_name}" is destroyed before it is recreated while {users[0].address} '
                      f"{'and others use' if len(users) > 1 else 'uses'} it: AWS refuses to delete a group in use; "
                      "add lifecycle { create_before_destroy = true } with name_prefix")


RULES = (
    Rule("AWS-PG-001", "Parameter groups can be replaced (not in use when destroyed, no name clash)",
         tuple(USERS), (ELASTICACHE, RDS), check_replaced_group, deferred=True,
         reads_types=tuple(user for users, _ in USERS.values() for user in users)),
)
