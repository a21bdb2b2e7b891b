"""Secrets a stack must hold before `pulumi up`, and what the offline tools do until they are set.

A new stack's file is written (by the wizard, or by hand) before `pulumi stack init`, and a secret
can only be set after it (`pulumi config set --secret` encrypts with the stack's key). The program
itself refuses a stack without them (`parse`: "required"), so `pulumi preview` and `pulumi up`
stop before any resource. The offline tools (synth, plan, cost, preflight, the wizard) only need
the secret's shape: `with_stand_ins` fills each missing one with the offline placeholder, marks it
secret, and returns one line per secret saying it is still to be set. The fleet (and the deploy
workflow through it) refuses such a stack with the same line instead of planning it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from components.settings.reader import NS, SECRET_PLACEHOLDER, decode_value


@dataclass(frozen=True)
class RequiredSecret:
    """A field of a map-valued key that must be set, as a secret, before `pulumi up`."""

    key: str
    """The config key (without namespace), e.g. `clickhouseCloud`."""
    field: str
    """The field of its map, e.g. `externalId`."""
    what: str
    """What the value is, for the user."""

    @property
    def path(self) -> str:
        return f"{self.key}.{self.field}"

    def set_command(self, stack: str) -> str:
        """The command that sets it: without a value, the Pulumi CLI asks for it (unechoed)."""
        return f"pulumi config set --stack {stack} --path --secret {self.path}"

    def still_to_set(self, stack: str) -> str:
        """One line: what is missing, that the offline tools carry on, and the commands."""
        return (
            f"{NS}:{self.path}: (not set): still to be set before `pulumi up` ({self.what}; the offline tools "
            f"use a stand-in until then): pulumi stack init {stack}; {self.set_command(stack)}"
        )


# Every secret the program requires whatever else is configured. (Secrets that only an opt-in
# needs, like the Tailscale credentials, are set together with that opt-in.)
REQUIRED_SECRETS: tuple[RequiredSecret, ...] = (
    RequiredSecret("clickhouseCloud", "externalId", "the external id ClickHouse Cloud gave you"),
)


def missing(raw: Mapping[str, str]) -> list[RequiredSecret]:
    """The required secrets the raw configuration map does not set. A key that is set but is no
    map is not counted: the settings report that broken value under its own key."""
    out = []
    for secret in REQUIRED_SECRETS:
        value = decode_value(raw.get(f"{NS}:{secret.key}"))
        if value is None or (isinstance(value, dict) and value.get(secret.field) in (None, "")):
            out.append(secret)
    return out


def with_stand_ins(
    raw: Mapping[str, str], secret_keys: frozenset[str]
) -> tuple[dict[str, str], frozenset[str], list[RequiredSecret]]:
    """(raw, secret_keys, filled): the map with each missing required secret set to the offline
    placeholder and its key marked secret (`secret_keys` are full keys, `namespace:key`). Only for
    tools that never deploy: the program itself reads the stack's own config and refuses."""
    out, secret = dict(raw), set(secret_keys)
    filled = missing(raw)
    for item in filled:
        full = f"{NS}:{item.key}"
        value = decode_value(out.get(full)) or {}
        out[full] = json.dumps({**value, item.field: SECRET_PLACEHOLDER})
        secret.add(full)
    return out, frozenset(secret), filled
