"""The DNS layer's settings: the zone services are published in (key `dns`), parsed straight into the
layer's `ZoneSpec` (components/dns.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components.dns import ZoneSpec
from components.settings.reader import Problems, read_object

DEFAULTS: dict[str, Any] = {"dns": {"createZone": False}}
OBJECT_FIELDS: dict[str, dict[str, type]] = {"dns": {"zoneName": str, "hostedZoneId": str, "createZone": bool}}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()

ZONE_ID_RE = re.compile(r"^Z[A-Z0-9]{1,32}\Z", re.ASCII)
DNS_NAME_RE = re.compile(r"^(?=.{4,200}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z", re.ASCII)


def parse(raw: Mapping[str, str], p: Problems) -> ZoneSpec:
    before = len(p.lines)
    fields = read_object(raw, "dns", OBJECT_FIELDS["dns"], DEFAULTS["dns"], p)
    if len(p.lines) > before:
        # The map itself is broken; checks across its fields would only repeat that.
        return ZoneSpec(str(fields.get("zoneName") or ""), fields.get("hostedZoneId"))
    zone = str(fields.get("zoneName") or "").rstrip(".").lower()
    zone_id, create = fields.get("hostedZoneId"), fields.get("createZone", False)
    if not zone:
        p.add(
            "dns.zoneName",
            None,
            "required; set the zone services are published in, e.g. "
            "`pulumi config set --path dns.zoneName byoc.example.com`",
        )
    elif not DNS_NAME_RE.match(zone):
        p.add("dns.zoneName", fields["zoneName"], "not a DNS zone name; use lowercase labels such as byoc.example.com")
    if zone_id and create:
        p.add(
            "dns.createZone", True, "conflicts with dns.hostedZoneId; set one: an existing zone id, or createZone true"
        )
    elif zone_id and not ZONE_ID_RE.match(zone_id):
        p.add("dns.hostedZoneId", zone_id, "not a Route 53 hosted zone id; use the id, e.g. Z0123456789ABCDEFGHIJ")
    elif not zone_id and not create:
        p.add(
            "dns.hostedZoneId",
            None,
            "required unless dns.createZone is true; give the id of the existing "
            "public zone for dns.zoneName, or set `--path dns.createZone true` to create it",
        )
    return ZoneSpec(zone, zone_id or None)
