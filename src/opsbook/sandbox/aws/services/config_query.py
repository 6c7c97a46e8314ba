"""AWS Config SelectResourceConfig (moto answers every expression with canned results), evaluated over the
sandbox's configuration items (sandbox/aws/config_items.py).

The subset served: `SELECT prop, ... [WHERE cond AND cond ...]` where a condition is `prop = 'value'` or
`prop IN ('a', 'b')` over resourceType, resourceId, resourceName, arn, awsRegion, accountId,
configurationItemStatus, tags.key, tags.value and tags.tag (Config's `key=value` of one tag, listed among
every type's properties in awslabs/aws-config-resource-schema). As on Config, a condition on an array
(tags) holds when any element matches, each condition on its own (developer guide, "Querying the Current
Configuration State of AWS Resources", Limitations: "matches are computed against all the array
elements"). Results are JSON strings, QueryInfo names the selected fields, `Limit` (at most 100, default
25) and NextToken page.

Refused with Config's error (400 InvalidExpressionException): what Config does not document and what the
sandbox does not evaluate. Config's query components page names the comparison operators `=`, `IN` and
`BETWEEN` (its limitations page adds `<`/`>` and negates with `NOT prop = ...`); `!=` and `<>` are none of
them, so the guide's "Check for manual changes" expression (`... WHERE tags.tag = 'ManagedBy' AND
tags.value != 'terraform'`) is an invalid expression here. Even its first half is no question about the
tag: `tags.tag` is the whole `key=value`, so `tags.tag = 'ManagedBy'` matches only an empty-valued tag.
OR, NOT, BETWEEN, LIKE, GROUP BY, ORDER BY and aggregates are valid Config SQL the sandbox does not
evaluate: refused the same way, naming the sandbox.
"""

from __future__ import annotations

import json
import re
from typing import Any

from opsbook.sandbox.aws.config_items import config_items
from opsbook.sandbox.aws.data import SandboxData
from opsbook.sandbox.aws.wire import Call, Response, json_error, json_response

SERVICE = "config"
TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(!=|<>|<=|>=|[=<>(),*])|([A-Za-z_][\w.]*(?:\(\*\))?))")
FILTERABLE = {"resourceType", "resourceId", "resourceName", "arn", "awsRegion", "accountId",
              "configurationItemStatus", "tags.key", "tags.value", "tags.tag"}  # fmt: skip
UNDOCUMENTED = {"!=", "<>"}
SANDBOX_LACKS = {"OR", "NOT", "BETWEEN", "LIKE", "GROUP", "ORDER", "<", ">", "<=", ">="}
SCALARS = ("accountId", "awsRegion", "arn", "resourceId", "resourceName", "resourceType",
           "configurationItemStatus")  # SELECT *: the top-level scalar properties  # fmt: skip
MAX_LIMIT, DEFAULT_LIMIT = 100, 25


class Invalid(ValueError):
    pass


def tokens(expression: str) -> list[str]:
    out, pos, text = [], 0, expression.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Invalid(f"Invalid expression: unexpected {text[pos : pos + 10]!r} at {pos}")
        out.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return out


def parse(expression: str) -> tuple[list[str], list[tuple[str, set[str]]]]:
    """(selected properties, conditions as (property, accepted values)); Invalid for anything else."""
    toks = tokens(expression)
    for t in toks:
        if t in UNDOCUMENTED:
            raise Invalid(f"Invalid expression: the operator {t} is not supported (use NOT property = value)")
        if t.upper() in SANDBOX_LACKS:
            raise Invalid(f"Invalid expression: {t} is not evaluated by the opsbook sandbox")
    if not toks or toks[0].upper() != "SELECT":
        raise Invalid("Invalid expression: it must start with SELECT")
    upper = [t.upper() for t in toks]
    where = upper.index("WHERE") if "WHERE" in upper else len(toks)
    fields = [t for t in toks[1:where] if t != ","]
    if not fields or any(not re.fullmatch(r"[A-Za-z_][\w.]*|\*", f) for f in fields):
        raise Invalid("Invalid expression: SELECT needs properties (the sandbox serves no aggregates)")
    return fields, conditions(toks[where + 1 :]) if where < len(toks) else []


def conditions(toks: list[str]) -> list[tuple[str, set[str]]]:
    out: list[tuple[str, set[str]]] = []
    rest = toks
    while rest:
        prop, op = rest[0], rest[1] if len(rest) > 1 else ""
        if prop not in FILTERABLE:
            raise Invalid(f"Invalid expression: the sandbox cannot filter on {prop!r}")
        if op == "=" and len(rest) > 2 and rest[2].startswith("'"):
            values, rest = {literal(rest[2])}, rest[3:]
        elif op.upper() == "IN" and len(rest) > 2 and rest[2] == "(" and ")" in rest:
            end = rest.index(")")
            values = {literal(v) for v in rest[3:end] if v != ","}
            rest = rest[end + 1 :]
        else:
            raise Invalid(f"Invalid expression: expected = 'value' or IN ('value', ...) after {prop}")
        out.append((prop, values))
        if rest:
            if rest[0].upper() != "AND":
                raise Invalid(f"Invalid expression: unexpected {rest[0]!r}")
            rest = rest[1:]
    return out


def literal(token: str) -> str:
    if not (token.startswith("'") and token.endswith("'")):
        raise Invalid(f"Invalid expression: {token!r} is not a quoted value")
    return token[1:-1].replace("''", "'")


def values_of(item: dict[str, Any], prop: str) -> list[str]:
    if prop.startswith("tags."):
        return [t[prop[5:]] for t in item["tags"]]
    return [str(item.get(prop, ""))]


def project(item: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The selected properties, nested as Config returns them (`configuration.path` -> {configuration:
    {path}}); tags as [{key, value}]; missing ones left out."""
    out: dict[str, Any] = {}
    for f in SCALARS if fields == ["*"] else fields:
        value: Any = item
        for part in f.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if f == "tags":
            value = [{"key": t["key"], "value": t["value"]} for t in item["tags"]]
        if value is None:
            continue
        node = out
        *parents, leaf = f.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def select_resource_config(call: Call, data: SandboxData) -> Response:
    body = call.json()
    try:
        fields, where = parse(body.get("Expression", ""))
    except Invalid as exc:
        return json_error("InvalidExpressionException", str(exc))
    limit = int(body.get("Limit") or DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        return json_error("InvalidLimitException", f"Limit {limit} is over {MAX_LIMIT}")
    items = [
        {**i, "accountId": call.account_id} for i in config_items(call.account_id, call.region)
        if all(set(values_of(i, prop)) & accepted for prop, accepted in where)
    ]  # fmt: skip
    items.sort(key=lambda i: (i["resourceType"], i["resourceId"]))
    start = int(body.get("NextToken") or 0)
    page = items[start : start + limit]
    out: dict[str, Any] = {
        "Results": [json.dumps(project(i, fields)) for i in page],
        "QueryInfo": {"SelectFields": [{"Name": f} for f in fields]},
    }
    if start + limit < len(items):
        out["NextToken"] = str(start + limit)
    return json_response(out)


HANDLERS = {"SelectResourceConfig": select_resource_config}
