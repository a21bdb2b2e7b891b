"""Review export: every IAM document an offline synth registered, one pretty JSON file each.

`tools.synth` calls `write(result, cfg, out)` after a successful run; it writes `<out>/iam/`:

- `<role>.trust.json`: the role's trust policy;
- `<role>.<policy>.json`: each inline policy of the role;
- `<policy>.json`: each customer managed policy (the bootstrap role's, the boundary);
- `<role>.attached.json`: the managed policies attached to the role (AWS's and ours), by ARN.

A trust policy holding a secret external id is recorded as `[secret]` in resources.json; here it is
rebuilt with the same pure function (`iam_policies.vendor_trust`) with the id masked, so the
reviewer still reads every condition.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from components import iam_policies, settings
from tools.mocks import SECRET

EXTERNAL_ID_MASK = "[secret: clickhouseCloud.externalId]"
UNTIL_TAG = "clickhouse-byoc/access-until"


def _doc(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text


def _masked_vendor_trust(cfg_settings: settings.Settings, role: dict[str, Any]) -> dict[str, Any]:
    until = (role["inputs"].get("tags") or {}).get(UNTIL_TAG)
    iam = cfg_settings.iam
    return iam_policies.vendor_trust(iam.vendor_account_id, EXTERNAL_ID_MASK, iam.principal_arn_pattern, until)


def documents(resources: list[dict[str, Any]], cfg_settings: settings.Settings) -> dict[str, Any]:
    """File name -> JSON content of every IAM document in the recorded resources."""
    files: dict[str, Any] = {}
    attached: dict[str, list[str]] = defaultdict(list)
    for record in resources:
        typ, inputs = record["type"], record["inputs"]
        if typ == "aws:iam/role:Role":
            trust = inputs.get("assumeRolePolicy")
            doc = _masked_vendor_trust(cfg_settings, record) if trust == SECRET else _doc(trust)
            files[f"{inputs['name']}.trust.json"] = doc
            attached.setdefault(inputs["name"], [])
        elif typ == "aws:iam/rolePolicy:RolePolicy":
            files[f"{inputs['role']}.{inputs['name']}.json"] = _doc(inputs.get("policy"))
        elif typ == "aws:iam/policy:Policy":
            files[f"{inputs['name']}.json"] = _doc(inputs.get("policy"))
        elif typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            attached[inputs["role"]].append(inputs["policyArn"])
    for role, arns in attached.items():
        files[f"{role}.attached.json"] = sorted(arns)
    return dict(sorted(files.items()))


def write(result: Any, cfg: Any, out: Path) -> Path:
    """Writes `<out>/iam/` from a synth result and the stack configuration it ran with."""
    secret = frozenset(k.split(":", 1)[1] for k in cfg.secret_keys if k.startswith(f"{cfg.project}:"))
    parsed = settings.parse(cfg.raw, cfg.stack, secret)
    folder = out / "iam"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for name, content in documents(result.resources, parsed).items():
        (folder / name).write_text(json.dumps(content, indent=2) + "\n")
    return folder
