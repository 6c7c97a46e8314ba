"""Terraform state, format version 4 (what `terraform apply` writes and the S3 backend stores), read into
one flat instance per resource instance: its address as Terraform prints it
(`module.net.aws_security_group.web["a"]`, `data.aws_iam_policy.x`), its type and its attributes."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsbook.core.errors import InputError


class StateInstance(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str
    type: str
    mode: str  # managed | data
    attributes: dict[str, Any] = Field(default_factory=dict)


def index_suffix(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, str):
        return f"[{json.dumps(key)}]"
    return f"[{key}]"


def parse_state(raw: bytes | str, where: str) -> list[StateInstance]:
    """Every resource instance of a v4 state; InputError naming `where` for anything else."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not a Terraform state (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != 4:
        version = doc.get("version") if isinstance(doc, dict) else None
        raise InputError(f"{where}: Terraform state format version {version!r}, opsbook reads version 4")
    out: list[StateInstance] = []
    for res in doc.get("resources") or []:
        if not isinstance(res, dict) or not res.get("type") or not res.get("name"):
            raise InputError(f"{where}: a resource without type or name")
        mode = str(res.get("mode") or "managed")
        base = f"{res['type']}.{res['name']}" if mode == "managed" else f"data.{res['type']}.{res['name']}"
        if res.get("module"):
            base = f"{res['module']}.{base}"
        for inst in res.get("instances") or []:
            out.append(
                StateInstance(
                    address=base + index_suffix(inst.get("index_key")),
                    type=str(res["type"]),
                    mode=mode,
                    attributes=inst.get("attributes") or {},
                )
            )
    return out
