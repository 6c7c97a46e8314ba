"""Builds opsbook's stack manifest JSON Schema from the sections Atmos documents.

Written by opsbook from https://atmos.tools/core-concepts/stacks (not copied from Atmos). Maps that carry
user data (vars, env, settings, providers...) are open; structural maps (a component, `metadata`,
`overrides`, the `terraform:` section) are closed, so a typo such as `varz:` is reported.
A value may also be an `!include` (the schema sees tags as the string "!include path").
"""

from __future__ import annotations

from functools import cache
from typing import Any

INCLUDE = {"type": "string", "pattern": "^!include"}
OPEN = {"anyOf": [INCLUDE, {"type": "object"}]}
BACKEND_TYPES = [
    "local",
    "s3",
    "remote",
    "vault",
    "static",
    "azurerm",
    "gcs",
    "cloud",
    "consul",
    "cos",
    "http",
    "kubernetes",
    "oss",
    "pg",
]
NAME_KEY = "^[/a-zA-Z0-9-_{}. ]+$"


def _closed(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "anyOf": [
            INCLUDE,
            {"type": "object", "properties": properties, "additionalProperties": False, **extra},
        ]
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


@cache
def manifest_schema() -> dict[str, Any]:
    string = {"type": "string"}
    boolean = {"type": "boolean"}
    defs: dict[str, Any] = {
        "open": OPEN,
        "string_or_include": {"anyOf": [INCLUDE, string]},
        "backend_type": {"anyOf": [INCLUDE, {"enum": BACKEND_TYPES}]},
        "backend": _closed({t: OPEN for t in BACKEND_TYPES}),
        "import_item": {
            "anyOf": [
                string,
                {
                    "type": "object",
                    "required": ["path"],
                    "additionalProperties": False,
                    "properties": {
                        "path": string,
                        "context": {"type": "object"},
                        "skip_if_missing": boolean,
                        "skip_templates_processing": boolean,
                        "ignore_missing_template_values": boolean,
                        "nested_imports": {"enum": ["local", "remote"]},
                        "ttl": string,
                    },
                },
            ]
        },
        "validation": _closed(
            {},
            patternProperties={
                NAME_KEY: {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "schema_type": {"enum": ["jsonschema", "opa"]},
                        "schema_path": string,
                        "description": string,
                        "disabled": boolean,
                        "timeout": {"type": "integer"},
                        "module_paths": {"type": "array", "items": string},
                    },
                }
            },
        ),
        "settings": {
            "anyOf": [INCLUDE, {"type": "object", "properties": {"validation": _ref("validation")}}]
        },
        "metadata": _closed(
            {
                "name": string,
                "type": {"enum": ["abstract", "real"]},
                "enabled": boolean,
                "component": string,
                "description": string,
                "inherits": {"anyOf": [INCLUDE, {"type": "array", "uniqueItems": True, "items": string}]},
                "terraform_workspace": string,
                "terraform_workspace_pattern": string,
                "custom": OPEN,
                "locked": boolean,
                "tags": {"type": "array", "items": string},
                "labels": {"type": "object", "additionalProperties": string},
            }
        ),
        "global_metadata": _closed(
            {
                "labels": {"type": "object", "additionalProperties": string},
                "tags": {"type": "array", "items": string},
                "custom": OPEN,
                "enabled": boolean,
                "locked": boolean,
                "terraform_workspace_pattern": string,
            }
        ),
        "overrides": _closed(
            {
                k: OPEN
                for k in (
                    "vars",
                    "env",
                    "settings",
                    "providers",
                    "hooks",
                    "generate",
                    "secrets",
                    "auth",
                    "retry",
                    "required_providers",
                )
            }
            | {"command": string, "required_version": string}
        ),
    }
    shared = {
        "vars": OPEN,
        "env": OPEN,
        "settings": _ref("settings"),
        "hooks": OPEN,
        "locals": OPEN,
        "command": string,
        "backend_type": _ref("backend_type"),
        "backend": _ref("backend"),
        "remote_state_backend_type": _ref("backend_type"),
        "remote_state_backend": _ref("backend"),
        "providers": OPEN,
        "generate": OPEN,
        "dependencies": OPEN,
        "depends_on": OPEN,
        "provision": OPEN,
        "required_version": string,
        "required_providers": OPEN,
        "retry": OPEN,
    }
    defs["terraform_section"] = _closed(shared | {"overrides": _ref("overrides")})
    defs["component"] = _closed(
        shared
        | {
            "metadata": _ref("metadata"),
            "component": string,
            "auth": OPEN,
            "secrets": OPEN,
            "source": {"anyOf": [INCLUDE, string, {"type": "object"}]},
            "test": {"type": "object"},
            "mocks": {"type": "object"},
        }
    )
    defs["components_of_type"] = _closed({}, patternProperties={NAME_KEY: _ref("component")})
    defs["components"] = {
        "anyOf": [
            INCLUDE,
            {
                "type": "object",
                "properties": {"terraform": _ref("components_of_type")},
                "additionalProperties": {"anyOf": [INCLUDE, {"type": "object"}]},
            },
        ]
    }
    defs["workflows"] = {
        "anyOf": [INCLUDE, {"type": "object", "additionalProperties": {"type": ["object", "string"]}}]
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://opsbook.dev/schemas/atmos-manifest.json",
        "title": "Atmos stack manifest (opsbook)",
        "type": "object",
        "properties": {
            "name": string,
            "import": {"anyOf": [INCLUDE, {"type": "array", "items": _ref("import_item")}]},
            "vars": OPEN,
            "env": OPEN,
            "settings": _ref("settings"),
            "hooks": OPEN,
            "locals": OPEN,
            "metadata": _ref("global_metadata"),
            "terraform": _ref("terraform_section"),
            "helmfile": OPEN,
            "packer": OPEN,
            "kubernetes": OPEN,
            "helm": OPEN,
            "components": _ref("components"),
            "overrides": _ref("overrides"),
            "workflows": _ref("workflows"),
            "dependencies": OPEN,
            "generate": OPEN,
            "version": {"type": ["string", "number"]},
        },
        "additionalProperties": True,
        "$defs": defs,
    }
