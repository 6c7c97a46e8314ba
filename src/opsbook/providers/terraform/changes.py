"""What a saved Terraform plan would do, in a form a plan file can hold and compare, and the environment
Terraform needs to reach opsbook's sandbox.

`changes(show_json)` turns `terraform show -json <planfile>` into one entry per resource change:
`{"address", "actions", "diff": {"input.desired_size": [4, 6], ...}}` (only known values; `(known after
apply)` values are left out; values Terraform marks sensitive are shown as SENSITIVE, never their content).
`output_changes(show_json)` does the same for the root module's outputs (`output.<name>`; a refresh-only
plan has only these and `resource_drift`). Two plans do the same thing when their `changes` are equal.
"""

from __future__ import annotations

import sys
from typing import Any

from opsbook.core.config import Config
from opsbook.providers.aws.session import SANDBOX_KEY


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _unknown(key: str, unknown: dict[str, Any]) -> bool:
    """Whether `a.b.c` is (known after apply): it, or a map holding it (`output` of terraform_data), is."""
    parts = key.split(".")
    return any(unknown.get(".".join(parts[:n])) is True for n in range(1, len(parts) + 1))


SENSITIVE = "(sensitive value)"


def _marked(mark: Any) -> bool:
    """A sensitivity mark that covers a value: `true`, or a list holding a marked element somewhere."""
    if isinstance(mark, list):
        return any(_marked(m) for m in mark)
    if isinstance(mark, dict):
        return any(_marked(m) for m in mark.values())
    return mark is True


def _diff(change: dict[str, Any]) -> dict[str, list[Any]]:
    """{attribute: [before, after]} of the known values that differ; sensitive ones masked on both sides."""
    before = _leaves(change.get("before") if change.get("before") is not None else {})
    after = _leaves(change.get("after") if change.get("after") is not None else {})
    unknown = _leaves(change.get("after_unknown") or {})
    secret = _leaves(change.get("before_sensitive") or {}) | {
        k: v for k, v in _leaves(change.get("after_sensitive") or {}).items() if _marked(v)
    }
    diff = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key) or _unknown(key, unknown):
            continue
        hidden = _marked(secret.get("")) or any(
            _marked(secret.get(".".join(key.split(".")[:n]))) for n in range(1, key.count(".") + 2)
        )
        diff[key] = [SENSITIVE, SENSITIVE] if hidden else [before.get(key), after.get(key)]
    return diff


def changes(show: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for rc in show.get("resource_changes") or []:
        change = rc.get("change") or {}
        actions = list(change.get("actions") or [])
        if actions in (["no-op"], ["read"]):
            continue
        entry = {"address": rc.get("address", "?"), "actions": actions, "diff": _diff(change)}
        if rc.get("action_reason"):
            entry["reason"] = rc["action_reason"]  # e.g. replace_because_tainted
        out.append(entry)
    return out


def output_changes(show: dict[str, Any]) -> list[dict[str, Any]]:
    """The root module's output changes, as `changes` entries addressed `output.<name>`."""
    out = []
    for name, change in sorted((show.get("output_changes") or {}).items()):
        actions = list(change.get("actions") or [])
        if actions == ["no-op"]:
            continue
        wrap = {k: {"value": change.get(k)} for k in ("before", "after", "after_unknown")}
        wrap |= {k: {"value": change.get(k)} for k in ("before_sensitive", "after_sensitive")}
        out.append({"address": f"output.{name}", "actions": actions, "diff": _diff(wrap)})
    return out


def counts(found: list[dict[str, Any]]) -> str:
    """Terraform's own tally: `1 to add, 2 to change, 0 to destroy` (a replacement counts as both)."""
    acts = [a for c in found for a in c["actions"]]
    return (
        f"{acts.count('create')} to add, {acts.count('update')} to change, {acts.count('delete')} to destroy"
    )


def summary(found: list[dict[str, Any]]) -> list[str]:
    """One line per change: `update terraform_data.node_group["application"]: input.desired_size 4 -> 6`."""
    if not found:
        return ["no changes: the infrastructure already matches"]
    lines = []
    for c in found:
        shown = ", ".join(f"{k} {v[0]!r} -> {v[1]!r}" for k, v in list(c["diff"].items())[:6])
        more = f" (+{len(c['diff']) - 6} more)" if len(c["diff"]) > 6 else ""
        lines.append(f"{'/'.join(c['actions'])} {c['address']}" + (f": {shown}{more}" if shown else ""))
    return lines


def sandbox_env(cfg: Config, account: str = "") -> dict[str, str]:
    """With the sandbox configured (`aws.sandbox_credentials`), Terraform's S3 state, its DynamoDB lock and
    the STS call of the backend's `assume_role` go to its endpoint with its fake keys, and the sandbox stacks'
    `eks` component gets what its hook needs to change the sandbox's EKS (this Python, `TF_VAR_opsbook_python`,
    and the endpoint); otherwise nothing is added (Terraform uses the caller's own AWS setup)."""
    if not cfg.aws.sandbox_credentials:
        return {}
    endpoint = next((a.endpoint_url for a in cfg.accounts if a.name == account and a.endpoint_url), None)
    endpoint = endpoint or cfg.aws.endpoint_url
    if not endpoint:
        return {}
    return {
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ENDPOINT_URL_STS": endpoint,
        "OPSBOOK_SANDBOX_AWS_ENDPOINT": endpoint,
        "TF_VAR_opsbook_python": sys.executable,
        "AWS_ACCESS_KEY_ID": SANDBOX_KEY,
        "AWS_SECRET_ACCESS_KEY": SANDBOX_KEY,
    }
