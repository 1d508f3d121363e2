"""Structural diffs of JSON-string attributes (toolkit/review/json_diff.py) in every review format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.review.helpers import all_outputs, review_of
from toolkit.review.markdown import GITHUB_COMMENT_LIMIT, render_markdown

IMAGE = "123456789012.dkr.ecr.sa-east-1.amazonaws.com/edu-platform/app"


def _container(image: str, *, log_level: str = "info", password: str = "CANARY-pw-1") -> dict:
    return {
        "name": "app", "image": image, "cpu": 512, "memory": 1024, "essential": True,
        "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
        # Long enough that the image sits far past the 300-character value limit of the plain diff.
        "environment": [{"name": f"SETTING_{number:02}", "value": "x" * 20} for number in range(12)]
        + [{"name": "LOG_LEVEL", "value": log_level}, {"name": "DB_PASSWORD", "value": password}],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app",
                                                                 "awslogs-region": "sa-east-1"}},
    }


def _plan(tmp_path: Path, before: str, after: str, *, address: str = "module.compute.aws_ecs_task_definition.app",
          attribute: str = "container_definitions", type_name: str = "aws_ecs_task_definition") -> Path:
    plan = {
        "format_version": "1.2", "terraform_version": "1.15.5",
        "resource_changes": [{
            "address": address, "module_address": address.rsplit(".", 2)[0] if address.startswith("module.") else "",
            "mode": "managed", "type": type_name, "name": address.rsplit(".", 1)[-1],
            "change": {"actions": ["delete", "create"], "before": {attribute: before, "family": "app"},
                       "after": {attribute: after, "family": "app"}, "after_unknown": {},
                       "before_sensitive": {}, "after_sensitive": {}, "replace_paths": [[attribute]]},
        }],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_an_image_tag_change_shows_both_tags_in_every_format(tmp_path: Path) -> None:
    before = json.dumps([_container(f"{IMAGE}:stable")], sort_keys=True)
    after = json.dumps([_container(f"{IMAGE}:1.27-broken", log_level="debug")], sort_keys=True)
    assert before.index(":stable") > 300  # what the plain diff cut off
    path = _plan(tmp_path, before, after)
    for name, text in all_outputs(path).items():
        assert f"{IMAGE}:stable" in text, name
        assert f"{IMAGE}:1.27-broken" in text, name
        assert 'container_definitions[name=app].image' in text, name
        assert 'environment[name=LOG_LEVEL].value' in text, name
        # Unchanged keys and items are elided; the password is neither changed nor shown.
        assert "SETTING_03" not in text and "awslogs-group" not in text, name
        assert "CANARY" not in text, name
    review = review_of(path, every_diff=True)
    rows = {diff.path: (diff.before, diff.after) for diff in review.diffs(review.changes[0])}
    assert rows == {
        'container_definitions[name=app].image': (json.dumps(f"{IMAGE}:stable"), json.dumps(f"{IMAGE}:1.27-broken")),
        'container_definitions[name=app].environment[name=LOG_LEVEL].value': ('"info"', '"debug"'),
    }


def test_a_changed_secret_inside_container_environment_stays_masked(tmp_path: Path) -> None:
    before = json.dumps([_container(f"{IMAGE}:1", password="CANARY-old-pw-77")], sort_keys=True)
    after = json.dumps([_container(f"{IMAGE}:1", password="CANARY-new-pw-88")
                        | {"secrets": [{"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:x"}]}])
    after = after.replace('"apiKey"', '"apiKey"')
    path = _plan(tmp_path, before, after)
    for name, text in all_outputs(path).items():
        assert "CANARY" not in text, name
        assert 'environment[name=DB_PASSWORD].value' in text, name
    review = review_of(path)
    rows = {diff.path: (diff.before, diff.after) for diff in review.diffs(review.changes[0])}
    assert rows['container_definitions[name=app].environment[name=DB_PASSWORD].value'] == (
        "(sensitive)", "(sensitive)")
    # An added item is shown whole (an ARN reference is not a secret).
    assert "arn:aws:ssm:x" in rows['container_definitions[name=app].secrets'][1]


def test_a_secret_key_anywhere_in_a_json_document_is_masked(tmp_path: Path) -> None:
    before = json.dumps({"widgets": [], "auth": {"password": "CANARY-a1", "user": "u"}})
    after = json.dumps({"widgets": [], "auth": {"password": "CANARY-b2", "user": "v"},
                        "added": {"client_secret": "CANARY-c3", "x": 1}})
    path = _plan(tmp_path, before, after, attribute="dashboard_body", address="aws_cloudwatch_dashboard.main",
                 type_name="aws_cloudwatch_dashboard")
    for name, text in all_outputs(path).items():
        assert "CANARY" not in text, name
        assert "auth.user" in text, name


def test_policy_statements_are_matched_by_sid_and_action_lists_show_items_added_and_removed(tmp_path: Path) -> None:
    def policy(actions: list[str], extra: bool) -> str:
        statements = [{"Sid": "Read", "Effect": "Allow", "Action": actions, "Resource": "*"}]
        if extra:
            statements.insert(0, {"Sid": "Deny", "Effect": "Deny", "Action": "s3:*", "Resource": "*"})
        return json.dumps({"Version": "2012-10-17", "Statement": statements})

    path = _plan(tmp_path, policy(["s3:GetObject"], False), policy(["s3:GetObject", "s3:PutObject"], True),
                 attribute="policy", address="aws_iam_policy.app", type_name="aws_iam_policy")
    review = review_of(path)
    rows = {diff.path: (diff.before, diff.after) for diff in review.diffs(review.changes[0])}
    assert rows == {
        'policy.Statement[Sid=Read].Action[+]': ("null", '"s3:PutObject"'),
        'policy.Statement[Sid=Deny]': ("null", '{"Sid": "Deny", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}'),
    }


@pytest.mark.parametrize("before", ["not json {", '"just a string"', "{broken", "[1, 2"])
def test_text_that_is_not_a_json_document_gets_the_plain_diff(tmp_path: Path, before: str) -> None:
    path = _plan(tmp_path, before, '{"a": 1}')
    review = review_of(path)
    assert [diff.path for diff in review.diffs(review.changes[0])] == ["container_definitions"]


def test_huge_json_strings_stay_within_the_comment_and_say_what_is_left_out(tmp_path: Path) -> None:
    # 1,500 changed keys, each with a 1 kB value: the rows are capped and the comment stays in its limit.
    before = json.dumps({f"key{number}": "a" * 1000 for number in range(1500)})
    after = json.dumps({f"key{number}": "b" * 1000 for number in range(1500)})
    path = _plan(tmp_path, before, after)
    review = review_of(path)
    diffs = review.diffs(review.changes[0])
    assert len(diffs) == 61
    assert diffs[-1].after == "1440 more differences in this JSON text not shown"
    assert all(len(diff.before) <= 300 for diff in diffs)
    markdown = render_markdown(review)
    assert len(markdown.encode()) <= GITHUB_COMMENT_LIMIT
    assert "key0" in markdown


def test_deeply_nested_json_is_shown_whole_below_the_depth_limit(tmp_path: Path) -> None:
    def nested(depth: int, leaf: str) -> str:
        return "[" * depth + json.dumps(leaf) + "]" * depth

    # Deeper than Python's recursion limit: not decoded at all, the plain diff (no crash). Just under it,
    # decoded but too deep to compare or encode: the plain diff too (this crashed the review).
    for depth in (500, 990):
        path = _plan(tmp_path, nested(depth, "a"), nested(depth, "b"))
        for name, text in all_outputs(path).items():
            assert "container_definitions" in text, name
    path = _plan(tmp_path, nested(5000, "a"), nested(5000, "b"))
    review = review_of(path)
    assert [diff.path for diff in review.diffs(review.changes[0])] == ["container_definitions"]
    # Deep but decodable: rows stop at the depth limit and show the rest whole.
    path = _plan(tmp_path, nested(60, "a"), nested(60, "b"))
    diffs = review_of(path).diffs(review_of(path).changes[0])
    assert len(diffs) == 1 and diffs[0].path.count("[0]") == 24


def test_a_sensitive_json_attribute_is_never_decoded(tmp_path: Path) -> None:
    path = _plan(tmp_path, json.dumps({"a": "CANARY-1"}), json.dumps({"a": "CANARY-2"}))
    plan = json.loads(path.read_text())
    change = plan["resource_changes"][0]["change"]
    change["before_sensitive"] = change["after_sensitive"] = {"container_definitions": True}
    path.write_text(json.dumps(plan))
    for name, text in all_outputs(path).items():
        assert "CANARY" not in text, name


def test_a_secret_cut_by_the_value_limit_is_masked_before_the_cut(tmp_path: Path) -> None:
    # A huge value is scanned for secret shapes only near what is shown; a URL password across the cut still is.
    before = "x" * 285 + "postgres://app:CANARY-cut-pw@db/app " + "y" * 3_000_000
    path = _plan(tmp_path, before, "short")
    for name, text in all_outputs(path).items():
        assert "CANARY" not in text and "CANA" not in text, name


def test_secret_shaped_values_and_sensitive_variables_inside_json_stay_masked(tmp_path: Path) -> None:
    def container(url: str, token: str) -> str:
        return json.dumps([{"name": "app", "environment": [{"name": "DATABASE_URL", "value": url},
                                                          {"name": "FEATURE", "value": token}]}])

    path = _plan(tmp_path, container("postgres://app:CANARY-url-1@db/app", "plain-CANARY-var-0001"),
                 container("postgres://app:CANARY-url-2@db/app", "plain-CANARY-var-0002"))
    plan = json.loads(path.read_text())
    # The second value is a root variable declared sensitive: masked by the redactor whatever its key.
    plan["variables"] = {"feature_token": {"value": "plain-CANARY-var-0002"}}
    plan["configuration"] = {"root_module": {"variables": {"feature_token": {"sensitive": True}}}}
    path.write_text(json.dumps(plan))
    for name, text in all_outputs(path).items():
        assert "CANARY-url" not in text and "CANARY-var-0002" not in text, name
        # In Markdown the `@` is followed by a zero-width space (&#8203;): it shows the same and mentions no one.
        shown = "postgres://app:(sensitive)@&#8203;db/app" if name.startswith("md") else "postgres://app:(sensitive)@db/app"
        assert shown in text, name


def test_keys_and_item_names_inside_json_are_masked_too(tmp_path: Path) -> None:
    # Keys and item names are data: a sensitive value used as a key must not reach the path column.
    before = json.dumps({"plain-CANARY-key-0003": {"a": 1}, "other": 1})
    after = json.dumps({"plain-CANARY-key-0003": {"a": 2}, "other": 2})
    path = _plan(tmp_path, before, after)
    plan = json.loads(path.read_text())
    plan["variables"] = {"token": {"value": "plain-CANARY-key-0003"}}
    plan["configuration"] = {"root_module": {"variables": {"token": {"sensitive": True}}}}
    path.write_text(json.dumps(plan))
    for name, text in all_outputs(path).items():
        assert "CANARY-key" not in text, name
        assert "container_definitions.other" in text, name
