"""`aws_iam_policy_document` JSON as the real provider renders it (internal/service/iam/policy_model.go)."""

from __future__ import annotations

import json

from stub_provider.iam_policy import render


def test_single_values_become_strings_and_lists_are_reverse_sorted() -> None:
    rendered = render({"statement": [
        {"sid": "", "effect": None, "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::a/*", "arn:aws:s3:::a"]},
    ]})
    assert rendered["minified_json"] == (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
        '"Resource":["arn:aws:s3:::a/*","arn:aws:s3:::a"]}]}')
    assert rendered["json"] == json.dumps(json.loads(rendered["minified_json"]), indent=2)


def test_principals_conditions_and_key_order() -> None:
    statement = {
        "sid": "Trust", "effect": "Deny", "actions": ["sts:AssumeRole"],
        "principals": [{"type": "Service", "identifiers": ["a.amazonaws.com", "b.amazonaws.com"]},
                       {"type": "AWS", "identifiers": ["arn:aws:iam::123456789012:root"]}],
        "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["123456789012"]},
                      {"test": "ArnLike", "variable": "aws:SourceArn", "values": ["arn:b", "arn:a"]}],
    }
    rendered = json.loads(render({"policy_id": "p1", "statement": [statement]})["json"])
    assert list(rendered) == ["Version", "Id", "Statement"]
    [only] = rendered["Statement"]
    assert list(only) == ["Sid", "Effect", "Action", "Principal", "Condition"]
    assert only["Principal"] == {"AWS": "arn:aws:iam::123456789012:root",
                                 "Service": ["b.amazonaws.com", "a.amazonaws.com"]}
    assert only["Condition"] == {"ArnLike": {"aws:SourceArn": ["arn:b", "arn:a"]},
                                 "StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_wildcard_principal_interpolation_and_go_escaping() -> None:
    rendered = render({"statement": [{"actions": ["s3:*"], "resources": ["arn:aws:s3:::b/&{aws:username}/<x>"],
                                      "principals": [{"type": "*", "identifiers": ["*"]}]}]})
    assert '"Principal":"*"' in rendered["minified_json"]
    assert "arn:aws:s3:::b/${aws:username}/\\u003cx\\u003e" in rendered["minified_json"]


def test_source_and_override_documents_merge_by_sid() -> None:
    source = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Keep", "Effect": "Allow", "Action": "a:1", "Resource": "*"},
        {"Sid": "Replace", "Effect": "Allow", "Action": "a:2", "Resource": "*"}]})
    override = json.dumps({"Statement": {"Sid": "Replace", "Effect": "Deny", "Action": "a:3", "Resource": "*"}})
    document = json.loads(render({"source_policy_documents": [source], "override_policy_documents": [override],
                                  "statement": [{"sid": "Own", "actions": ["a:4"], "resources": ["*"]}]})["json"])
    assert [(s["Sid"], s["Effect"], s["Action"]) for s in document["Statement"]] == [
        ("Keep", "Allow", "a:1"), ("Replace", "Deny", "a:3"), ("Own", "Allow", "a:4")]
