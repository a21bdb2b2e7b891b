"""The maintenance window (key `maintenanceWindow`): when the fleet runner may apply changes the
change plan calls disruptive. The checks and the window arithmetic are components.maintenance_window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import maintenance_window as mw
from components.settings.reader import NS, Problems, decode_value

DEFAULTS: dict[str, Any] = {mw.KEY: {}}
# durationHours is a number (whole or fractional hours); the module's parse checks every field.
OBJECT_FIELDS: dict[str, dict[str, type]] = {
    mw.KEY: {"day": str, "start": str, "durationHours": float, "timezone": str}
}
REQUIRED: tuple[str, ...] = ()
OPTIONAL: tuple[str, ...] = ()


def parse(raw: Mapping[str, str], p: Problems) -> mw.MaintenanceWindow | None:
    """The stack's window, or None (unset, or `{}`: changes may run at any time)."""
    text = raw.get(f"{NS}:{mw.KEY}")
    window, problems = mw.parse(None if text is None else decode_value(text))
    for key, value, problem in problems:
        p.add(key, value, problem)
    return window
