"""Offline change plan: what `pulumi up` would create, update, replace, delete or forget.

    venv/bin/python -m tools.plan --stack dev                  # base: the merge base with main
    venv/bin/python -m tools.plan --stack dev --base v1.2.0 --json
    venv/bin/python -m tools.plan --config-file Pulumi.acme.yaml --base-resources old/resources.json
    venv/bin/python -m tools.plan --stack dev --first-deploy   # modeled critical path of a fresh deploy

Synthesizes the stack at a base (a git ref, synthesized by that revision's own `tools.synth` in a
temporary copy, or a resources.json file) and now (in this process), pairs resources by URN (or by
an `aliases` entry naming the base URN) and classifies each change with the providers' own
replace-on-change inputs, vendored in `tools/data/replace-on-change.json` with their sources.
A changed secret input shows as `[secret changed]`; an input naming a replaced resource's id or
ARN as a knock-on of that replace. A base without the stack (its file absent at the ref, or an
empty resources.json) is a first deploy. The monthly cost estimate before and after, by layer,
ends the plan.

Exit codes: 0 plan printed; 2 invalid configuration (one line per problem, as the synth); 3 a
stateful resource would be replaced or deleted (or a change Kubernetes rejects) and not every
such URN was allowed with `--allow URN`; 1 anything else (a base that cannot be synthesized).
See docs/change-plan.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from components.settings import ConfigError
from tools import projectconfig, stackconfig
from tools.plan import compat as plan_compat
from tools.plan import costdiff
from tools.plan.diffing import diff, first_deploy_plan
from tools.plan.model import first_deploy
from tools.plan.render import render_first_deploy, render_first_deploy_json, render_json, render_markdown, render_text
from tools.plan.synthesis import BaseError, default_base, stacks_of, synth_at_ref, synth_now

EXIT_CONFIG = 2
EXIT_BLOCKED = 3
EXIT_FAILURE = 1


EPILOG = """\
exit codes:
  0  plan printed
  1  anything else (a base that cannot be synthesized, a base of another stack)
  2  invalid configuration (one line per problem), at the base or now
  3  a stateful resource would be replaced or deleted (or a change Kubernetes rejects), and not
     every such URN was allowed with --allow

A required secret the stack does not set yet (clickhouseCloud.externalId before `pulumi stack
init`) is noted in one line; the plan uses a stand-in for it.

examples:
  venv/bin/python -m tools.plan --stack acme-prod-usw2 --first-deploy
  venv/bin/python -m tools.plan --stack dev                        # base: the merge base with main
  venv/bin/python -m tools.plan --stack dev --base v1.2.0 --json
  venv/bin/python -m tools.plan --config-file Pulumi.acme.yaml --base-resources old/resources.json
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="venv/bin/python -m tools.plan",
        description=__doc__.split("\n")[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    source.add_argument("--config-file", type=Path, help="any stack config file instead of --stack")
    base = parser.add_mutually_exclusive_group()
    base.add_argument("--base", help="git ref to compare with (default: the merge base of HEAD and main)")
    base.add_argument("--base-resources", type=Path, help="a resources.json to compare with instead of a git ref")
    parser.add_argument(
        "--base-config-file", type=Path, help="the stack config file for the base synth (default: as for now)"
    )
    parser.add_argument("--resources", type=Path, help="a resources.json for now instead of synthesizing")
    parser.add_argument(
        "--allow", action="append", default=[], metavar="URN", help="accept this blocked URN (repeat for each)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the plan as JSON")
    output.add_argument("--markdown", action="store_true", help="print the plan as a pull-request comment")
    parser.add_argument("--first-deploy", action="store_true", help="print the modeled critical path of a fresh deploy")
    args = parser.parse_args(argv)

    try:
        if args.resources:
            now = json.loads(args.resources.read_text())
        else:
            cfg = stackconfig.load(args.config_file) if args.config_file else stackconfig.load_stack(args.stack)
            cfg, still_to_set = stackconfig.offline(cfg)
            now = synth_now(cfg)
            for line in still_to_set:  # on a valid stack only: a broken one is its problems alone
                print(f"plan: note: {line}", file=sys.stderr)
    except (ConfigError, projectconfig.ProjectConfigError) as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except (OSError, ValueError, KeyError) as exc:
        print(f"plan: cannot read the stack configuration: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_CONFIG

    if args.first_deploy:
        total, chain = first_deploy(now)
        if args.json:
            print(render_first_deploy_json(total, chain))
        else:
            print(render_first_deploy(total, chain))
        return 0

    try:
        if args.base_resources:
            base_records = json.loads(args.base_resources.read_text())
            label = str(args.base_resources)
        else:
            ref = args.base or default_base()
            label = ref
            base_config = args.base_config_file or args.config_file
            base_records = synth_at_ref(ref, None if base_config else args.stack, base_config)
            if base_records is None:
                label = f"{ref}, where Pulumi.{args.stack}.yaml does not exist yet"
                base_records = []
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except (BaseError, OSError, ValueError, subprocess.CalledProcessError) as exc:
        print(f"plan: {exc}", file=sys.stderr)
        return EXIT_FAILURE

    stacks = {label: stacks_of(base_records), "now": stacks_of(now)}
    if stacks[label] and stacks["now"] and stacks[label] != stacks["now"]:
        print(
            f"plan: the base is stack {', '.join(sorted(stacks[label]))} and now is stack "
            f"{', '.join(sorted(stacks['now']))}: every URN would differ; compare the same stack "
            "(the stack name comes from the file name Pulumi.<stack>.yaml)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if base_records:
        # A base from before ids derived from replace-forcing inputs: its ids as today's mocks make them.
        base_aws = next((r["inputs"] for r in base_records if r["type"] == "pulumi:providers:aws"), {})
        base_records = plan_compat.upgrade(base_records, base_aws)
    plan = diff(base_records, now, allow=args.allow) if base_records else first_deploy_plan(now)
    plan.cost = costdiff.compare(base_records, now)
    if args.json:
        print(render_json(plan))
    elif args.markdown:
        stack = args.config_file.name if args.config_file else f"stack {args.stack}"
        print(render_markdown(plan, f"Change plan ({stack}, base {label})", args.allow))
    else:
        print(render_text(plan, args.allow))
    return EXIT_BLOCKED if plan.blocked else 0
