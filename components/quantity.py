"""Kubernetes resource quantities (`2`, `500m`, `8Gi`, `1.5G`): validation and arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# The grammar of k8s.io/apimachinery resource.Quantity, without the sign (a negative size is a mistake).
QUANTITY_RE = re.compile(
    r"^(?P<num>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?\Z", re.ASCII
)

_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
GI = 2**30


def parse(text: str) -> Decimal | None:
    """The quantity's value in base units (cores, bytes), or None when it is not a quantity."""
    if not isinstance(text, str):
        return None
    match = QUANTITY_RE.match(text.strip())
    if not match:
        return None
    try:
        number = Decimal(match["num"])
    except InvalidOperation:
        return None
    suffix = match["suffix"] or ""
    if suffix[:1] in ("e", "E"):
        return number * (Decimal(10) ** int(suffix[1:]))
    return number * _SUFFIX[suffix]


def to_bytes(text: str) -> int:
    """A byte quantity as whole bytes (raises ValueError when it is not a quantity)."""
    value = parse(text)
    if value is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    return int(value)


def gibibytes_ceil(size: int) -> str:
    """Whole bytes as the smallest whole `<n>Gi` holding them."""
    return f"{-(-size // GI)}Gi"
