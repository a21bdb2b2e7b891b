"""Serves the clickhouse-byoc policy pack: `pulumi preview --policy-pack policies`.

Only builds the pack from the rules module; `PolicyPack(...)` starts the analyzer's gRPC server and
never returns, so tests import `rules`, never this file.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# Pulumi runs the pack from this folder; make `rules` importable however the folder is run.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import rules

PolicyPack(
    name=rules.PACK_NAME,
    policies=rules.policies(),
    enforcement_level=EnforcementLevel.MANDATORY,
    description="ClickHouse BYOC on AWS: the ClickHouse-cloud name prefix, mandatory tags and the security rules.",
)
