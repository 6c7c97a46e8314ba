"""The `atmos-workflow` step: run one of the stacks' Atmos workflows (as `opsbook workflow run` does: atmos
steps natively, shell steps without a shell of opsbook's making) where the team's own workflow owns a
change, e.g. the guide's `atmos workflow rotate-certificate tenant=... account=... environment=...
certificate_name=...`.

The guide's `key=value` arguments reach the workflow's steps as environment variables named by the key
upper-cased (TENANT, ACCOUNT, ENVIRONMENT, CERTIFICATE_NAME), and its atmos steps run in the stack those
name (`-s`, the highest precedence, as on the command line). A failed step fails the plan step with the
workflow's own message (which names the step and how to resume it). Re-running apply does not run it
again (the journal has it done); there is no undo: what the workflow changed is the stacks' to reverse.

Item params: `atmos_config` (the directory of atmos.yaml), `workflow`, `file`, `stack`, `args`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opsbook.procedures.kinds import Clients, Live, item_kind
from opsbook.procedures.plan import PlanItem

TAIL_LINES = 20


def workflow_env(args: dict[str, str]) -> dict[str, str]:
    return {key.upper(): str(value) for key, value in args.items()}


def recheck_workflow(item: PlanItem, clients: Clients) -> Live:
    p = item.params
    return Live("eligible", f"run workflow {p['workflow']} ({p['file']}) in stack {p['stack']}")


def run_workflow(item: PlanItem, clients: Clients) -> dict[str, Any]:
    from opsbook.providers.atmos.resolver import Stacks
    from opsbook.providers.atmos.steps import AtmosSteps
    from opsbook.providers.atmos.workflows import WorkflowRunner, Workflows

    p = item.params
    lines: list[str] = []
    stacks = Stacks.load(p["atmos_config"])
    workflows = Workflows(stacks.config)
    workflow = workflows.get(p["workflow"], p["file"])
    workflow = replace(workflow, env={**workflow_env(p["args"]), **workflow.env})
    steps = AtmosSteps(stacks, out=lambda text: lines.extend(text.splitlines()), err=lines.append)
    done = WorkflowRunner(workflows, steps, echo=lines.append).run(workflow, p["stack"])
    return {"workflow": p["workflow"], "steps": done, "output": lines[-TAIL_LINES:]}


item_kind(
    "atmos-workflow",
    action="atmos-workflow",
    permissions=("whatever the workflow's steps need (run on this machine)",),
    recheck=recheck_workflow,
    act=run_workflow,
    irreversible="an Atmos workflow's changes are undone in the stacks, not by opsbook",
)
