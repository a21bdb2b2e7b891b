"""Patterns more than one layer checks: one definition each (account ids, regions, ARNs built from them)."""

from __future__ import annotations

import re

# Pieces, for patterns that embed them (ARNs); non-capturing so callers' groups keep their numbers.
ACCOUNT = r"\d{12}"
REGION = r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d"

ACCOUNT_RE = re.compile(rf"^{ACCOUNT}$")
REGION_RE = re.compile(rf"^{REGION}$")
