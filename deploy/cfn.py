"""CloudFormation vocabulary: the few intrinsic functions the merge template uses."""

from __future__ import annotations

from typing import Any

Resource = dict[str, Any]
Template = dict[str, Any]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def policy_document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, actions: list[str], resources: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def deep_merge(base: dict[str, Any], addition: dict[str, Any]) -> dict[str, Any]:
    """`base` with `addition` merged in, the way `chalice package` merges the two templates:
    dictionaries key by key, anything else replaced."""
    merged = dict(base)
    for key, value in addition.items():
        current = merged.get(key)
        both_dicts = isinstance(current, dict) and isinstance(value, dict)
        merged[key] = deep_merge(current, value) if both_dicts else value
    return merged
