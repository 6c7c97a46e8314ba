"""Which base component a component has: Atmos's stack processor rule, which also names the workspace.

A top-level `component: X` makes X the base component only when X is found among the stack's
components of that type. Atmos walks from X as it merges the bases (X's own top-level `component:`
unless X is abstract, then X's `metadata.inherits`, then X) and the *first* component found on that
walk becomes the final base (`FinalBaseComponentName`). When X is not a component of the stack,
nothing is found: the component has no base, its Terraform folder is its own name (unless
`metadata.component` names one) and its workspace is the stack's name. `metadata.inherits` alone
never sets the base component; it only merges configuration.

Then, for the folder and the workspace (Atmos's `ProcessComponentMetadata`): `metadata.component`
(inherited from bases too) wins over that base; a base equal to the component's own name is none.
"""

from __future__ import annotations

from typing import Any

from opsbook.providers.atmos.yamlload import MAX_FILE_DEPTH


def is_abstract(section: dict[str, Any]) -> bool:
    metadata = section.get("metadata") or {}
    return isinstance(metadata, dict) and metadata.get("type") == "abstract"


def final_base(components: dict[str, dict[str, Any]], ctype: str, name: str) -> str:
    """The base component Atmos settles on for `name` from its top-level `component:` ("" when none
    is found among `components`, keyed "<type>/<name>")."""
    top = components[f"{ctype}/{name}"].get("component")
    if not isinstance(top, str) or not top:
        return ""
    found: list[str] = []

    def visit(component: str, base: str, depth: int) -> None:
        key = f"{ctype}/{base}"
        if component == base or key not in components or depth > MAX_FILE_DEPTH:
            return
        section = components[key]
        inner = section.get("component")
        if isinstance(inner, str) and inner and not is_abstract(section):
            visit(base, inner, depth + 1)
        inherits = (section.get("metadata") or {}).get("inherits")
        for parent in inherits if isinstance(inherits, list) else []:
            visit(component, str(parent), depth + 1)
        if not found:
            found.append(base)

    visit(name, top, 0)
    return found[0] if found else ""


def base_component(
    section: dict[str, Any], components: dict[str, dict[str, Any]], ctype: str, name: str
) -> str:
    """The stack processor's `component` of a component: its own `metadata.component`, else the final
    base found from its top-level `component:`, else its own name."""
    metadata = section.get("metadata") or {}
    own = metadata.get("component") if isinstance(metadata, dict) else None
    return str(own) if own else (final_base(components, ctype, name) or name)


def folder(merged_metadata: dict[str, Any], base: str) -> str:
    """The component's folder: `metadata.component` after metadata inheritance, else the base."""
    value = merged_metadata.get("component")
    return str(value) if value else base
