"""Compute: IMDSv2 on launch templates, instances and node groups."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .core import (
    as_int,
    get,
    rule,
)

# -- imdsv2-required -------------------------------------------------------------------------------

_LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
_INSTANCE = "aws:ec2/instance:Instance"
_NODE_GROUPS = ("aws:eks/nodeGroup:NodeGroup", "eks:index:ManagedNodeGroup")


@rule(
    "imdsv2-required",
    description="Launch templates require IMDSv2 tokens with a hop limit of 1 (pods cannot borrow the node's "
    "role), and node groups use such a launch template.",
    fix="Set metadataOptions {httpTokens: 'required', httpPutResponseHopLimit: 1} on the launch template and "
    "pass it to the node group (launchTemplate {id, version}).",
    config={
        "maxHopLimit": {
            "type": "integer",
            "default": 1,
            "description": "The highest httpPutResponseHopLimit allowed.",
        }
    },
)
def imdsv2_required(r: Any, config: Mapping[str, Any]) -> Iterator[str]:
    limit = as_int(config.get("maxHopLimit")) or 1
    if r.resource_type in (_LAUNCH_TEMPLATE, _INSTANCE):
        options = get(r.props, "metadataOptions", default={})
        if get(options, "httpEndpoint") == "disabled":
            return
        if get(options, "httpTokens") != "required":
            yield "IMDSv1 is allowed: set metadataOptions.httpTokens 'required'"
        hops = as_int(get(options, "httpPutResponseHopLimit"))
        if hops is None or hops > limit:
            yield (
                f"metadataOptions.httpPutResponseHopLimit is {hops if hops is not None else 'unset'}: set it to "
                f"{limit} so pods cannot reach the node's instance role"
            )
    elif r.resource_type in _NODE_GROUPS and not get(r.props, "launchTemplate"):
        yield (
            "the node group uses EKS's default launch template, whose metadata options the stack does not "
            "control: pass a launch template with httpTokens 'required' and hop limit 1"
        )
