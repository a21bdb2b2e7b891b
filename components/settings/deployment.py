"""The deployment's identity: `aws:region`, `accountId`, `deploymentId` and the user's `tags`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components import naming
from components.settings.aws import region_problem
from components.settings.patterns import ACCOUNT_RE
from components.settings.reader import NS, Problems, decode_value

DEFAULTS: dict[str, Any] = {"tags": {}}
OBJECT_FIELDS: dict[str, dict[str, type]] = {}
# Keys with no default: required ones, and ones whose absence means something.
REQUIRED = ("accountId",)
OPTIONAL = ("deploymentId",)

# AWS tags take letters and digits of any script ("letters, numbers, and spaces representable in
# UTF-8", AWS General Reference, tag naming rules): the one pattern here that is not ASCII-only.
TAG_CHARS_RE = re.compile(r"^[\w .:/=+\-@]*\Z")
# 50 tags per resource; keep room for Name, the mandatory ones and Kubernetes' own.
MAX_USER_TAGS = 40


def region(raw: Mapping[str, str], p: Problems) -> str:
    value = raw.get("aws:region")
    if not value:
        p.add("aws:region", None, "required; run `pulumi config set aws:region us-west-2` (your region)")
    elif problem := region_problem(value):
        p.add("aws:region", value, problem)
    return value or ""


def account(raw: Mapping[str, str], p: Problems) -> str:
    value = raw.get(f"{NS}:accountId")
    if not value:
        p.add("accountId", None, "required; run `pulumi config set accountId <your 12-digit AWS account id>`")
    elif not ACCOUNT_RE.match(value):
        p.add("accountId", value, "not a 12-digit AWS account id; use the id `aws sts get-caller-identity` shows")
    return value or ""


def deployment_id(raw: Mapping[str, str], stack: str, p: Problems) -> str:
    value = raw.get(f"{NS}:deploymentId")
    fix = "use 3-20 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    if value is None:
        full = naming.normalized_stack_name(stack)
        derived = naming.deployment_id_from_stack(stack)
        if len(full) > naming.DEPLOYMENT_ID_MAX:
            # Never derived silently: earlier versions cut such names to 20 characters (two stacks
            # could collide), and a deployed stack whose id changed would rename every resource.
            legacy = full[: naming.DEPLOYMENT_ID_MAX].rstrip("-")
            p.add(
                "deploymentId",
                None,
                f"required for stack name {stack!r} ({len(full)} characters, longer than a deployment id); "
                f"a new stack: `pulumi config set deploymentId {derived}` (unique to this stack name); a stack "
                f"deployed by an earlier version, which used the first 20 characters: "
                f"`pulumi config set deploymentId {legacy}` keeps its resources",
            )
        elif not naming.DEPLOYMENT_ID_RE.match(derived):
            p.add("deploymentId", None, f"cannot be derived from stack name {stack!r}; set it: {fix}")
        return derived
    if not naming.DEPLOYMENT_ID_RE.match(value):
        p.add("deploymentId", value, f"invalid deployment id; {fix}")
    return value


def tags(raw: Mapping[str, str], deployment_id: str, p: Problems) -> dict[str, str]:
    text = raw.get(f"{NS}:tags")
    value = DEFAULTS["tags"] if text is None else decode_value(text)
    if not isinstance(value, dict):
        p.add("tags", value, 'not a map; set it as a map of tag key to value, e.g. {"team": "data"}')
        return {}
    mandatory = naming.mandatory_tags(deployment_id)
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(val, (str, int, float, bool)) or isinstance(val, bool):
            p.add(f"tags.{key}", val, "tag values must be strings; quote the value")
            continue
        val = str(val)
        if key.lower().startswith("aws:"):
            p.add(f"tags.{key}", val, "the aws: prefix is reserved by AWS; use another key")
        elif not 1 <= len(key) <= 128 or not TAG_CHARS_RE.match(key):
            p.add(f"tags.{key}", val, "invalid tag key; use 1-128 letters, digits, spaces and _.:/=+-@")
        elif len(val) > 256 or not TAG_CHARS_RE.match(val):
            p.add(f"tags.{key}", val, "invalid tag value; use at most 256 letters, digits, spaces and _.:/=+-@")
        elif key in mandatory and val != mandatory[key]:
            p.add(f"tags.{key}", val, f"overrides a mandatory tag (it must be {mandatory[key]!r}); remove it")
        else:
            out[key] = val
    if len(out) > MAX_USER_TAGS:
        p.add(
            "tags",
            f"{len(out)} tags",
            f"too many; AWS allows 50 per resource and the program needs 10: use at most {MAX_USER_TAGS}",
        )
    return out
