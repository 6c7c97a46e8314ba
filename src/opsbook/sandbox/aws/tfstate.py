"""Terraform state (format version 4) for the sandbox's `terraform_data` components, built in Python.

A `terraform_data` resource keeps its `input` twice (as `input` and as `output`), each as a dynamic value:
`{"value": ..., "type": <cty type>}`. The cty type of an object constructor's attribute is its
expression's type, so a `map(string)` variable (`tags`) stays a map while the input itself is an object:
values here say which they are with `Map`. tests/sandbox/test_seed_state.py compares what this writes
with what `terraform apply` writes for the same inputs.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

TERRAFORM_VERSION = "1.6.6"  # the oldest Terraform the components accept (`>= 1.6`, for the backend's assume_role): any newer one reads it
PROVIDER = 'provider["terraform.io/builtin/terraform"]'
_NAMESPACE = uuid.UUID("5b3c1f0e-8d7a-4c1e-9a51-0b5f2a7d9e01")  # ids and lineages are stable per seed


class Map(dict[str, Any]):
    """A map(...) value (a variable typed as a map), not an object."""


def cty_type(value: Any) -> Any:
    """The cty type JSON of `value`: "string", "number", "bool", ["list", T], ["map", T], ["object", {...}]."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Map):
        return ["map", cty_type(next(iter(value.values()))) if value else "string"]
    if isinstance(value, dict):
        return ["object", {k: cty_type(v) for k, v in sorted(value.items())}]
    if isinstance(value, list):
        return ["list", cty_type(value[0]) if value else "string"]
    raise TypeError(f"no cty type for {type(value).__name__}")


def dynamic(value: Any) -> dict[str, Any]:
    return {"value": json.loads(json.dumps(value, sort_keys=True)), "type": cty_type(value)}


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def terraform_data(name: str, inputs: dict[str, dict[str, Any]], where: str) -> dict[str, Any]:
    """One `terraform_data.<name>` resource; `inputs` maps each instance's index key ("" without
    for_each) to its input object. `where` (bucket/key) makes the ids unique to the state object."""
    instances = []
    for key, value in sorted(inputs.items()):
        inst: dict[str, Any] = {"index_key": key} if key else {}
        inst |= {
            "schema_version": 0,
            "attributes": {
                "id": stable_id(where, name, key),
                "input": dynamic(value),
                "output": dynamic(value),
                "triggers_replace": None,
            },
            "sensitive_attributes": [],
        }
        instances.append(inst)
    return {
        "mode": "managed",
        "type": "terraform_data",
        "name": name,
        "provider": PROVIDER,
        "instances": instances,
    }


def terraform_trigger(name: str, trigger: Any, where: str) -> dict[str, Any]:
    """One `terraform_data.<name>` with no input whose `triggers_replace` is `trigger` (a change replaces it,
    which runs its provisioner)."""
    res = terraform_data(name, {"": {}}, where)
    res["instances"][0]["attributes"] |= {"input": None, "output": None, "triggers_replace": dynamic(trigger)}
    return res


def state(
    where: str, resources: list[dict[str, Any]], outputs: dict[str, Any], serial: int = 1
) -> dict[str, Any]:
    """A whole state object: the root module's `outputs` (name -> value) and `resources`."""
    return {
        "version": 4,
        "terraform_version": TERRAFORM_VERSION,
        "serial": serial,
        "lineage": stable_id(where, "lineage"),
        "outputs": {name: dynamic(value) for name, value in sorted(outputs.items())},
        "resources": resources,
        "check_results": None,
    }
