"""The files Atmos writes next to a Terraform component before running it (names and content).

- varfile `<stack>-<component>.terraform.tfvars.json`: the component's resolved `vars`;
- `backend.tf.json` (when `auto_generate_backend_file`): `{"terraform": {"backend": {<type>: {...}}}}`;
- planfile `<stack>-<component>.planfile`.
`/` in stack or component names becomes `-`, as Atmos does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _flat(name: str) -> str:
    return name.replace("/", "-")


def file_stem(stack: str, component: str) -> str:
    return f"{_flat(stack)}-{_flat(component)}"


def varfile_name(stack: str, component: str) -> str:
    return f"{file_stem(stack, component)}.terraform.tfvars.json"


def planfile_name(stack: str, component: str) -> str:
    return f"{file_stem(stack, component)}.planfile"


def backend_config(section: dict[str, Any]) -> dict[str, Any] | None:
    """The `backend.tf.json` content for a resolved component, None when it has no backend type."""
    backend_type = section.get("backend_type") or ""
    if not backend_type:
        return None
    return {"terraform": {"backend": {backend_type: dict(section.get("backend") or {})}}}


def write_json(path: Path, data: Any) -> Path:
    """Write atomically (a crash never leaves half a varfile for terraform to read)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
