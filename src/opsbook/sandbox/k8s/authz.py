"""RBAC for the fake API: answer 403 to whatever a set of PolicyRules (a ClusterRole's `rules`) does not grant.

`FakeKubeServer.authorize_only(rules)` makes the server treat its one user as bound to exactly those rules
(e.g. opsbook's read-only ClusterRole, to prove every check works with it); `allow_all()` ends it.
Matching is Kubernetes' RBAC authorizer's: a rule grants a request when its `verbs` hold the verb (or
`*`), its `apiGroups` the group (`""` is core, or `*`), its `resources` the resource (`pods`, `pods/log`
for a subresource, `*/log`, `*`) and, when it lists `resourceNames`, the request names one of them
(a list or a create names none, so they are refused). `nonResourceURLs` (`/metrics`, a trailing `*` is a
prefix) grant paths outside the API's resources. Discovery, OpenAPI, `/version` and health stay open to
every authenticated user, as the `system:discovery` and `system:public-info-viewer` roles grant them on a
real cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    verbs: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str]
    urls: tuple[str, ...]

    @classmethod
    def of(cls, rule: Mapping[str, Any]) -> Rule:
        def strings(key: str) -> list[str]:
            value = rule.get(key)
            if value is None:
                return []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"PolicyRule.{key}: expected a list of strings, got {value!r}")
            return value

        made = cls(frozenset(strings("verbs")), frozenset(strings("apiGroups")), frozenset(strings("resources")),
                   frozenset(strings("resourceNames")), tuple(strings("nonResourceURLs")))  # fmt: skip
        if not made.verbs:
            raise ValueError("PolicyRule.verbs: required")
        if made.urls and (made.resources or made.api_groups):
            raise ValueError("PolicyRule: nonResourceURLs cannot be mixed with apiGroups/resources")
        return made

    def grants(self, verb: str, group: str, resource: str, name: str | None) -> bool:
        if not ({verb, "*"} & self.verbs) or not ({group, "*"} & self.api_groups):
            return False
        base, _, sub = resource.partition("/")
        wanted = {resource, "*"} | ({f"*/{sub}"} if sub else set())
        if not wanted & self.resources:
            return False
        return not self.resource_names or (name is not None and name in self.resource_names)

    def grants_url(self, verb: str, path: str) -> bool:
        if not ({verb, "*"} & self.verbs):
            return False
        return any(u == path or u == "*" or (u.endswith("*") and path.startswith(u[:-1])) for u in self.urls)


class Policy:
    """The rules one user is bound to."""

    def __init__(self, rules: Iterable[Mapping[str, Any]]) -> None:
        self.rules = tuple(Rule.of(r) for r in rules)

    def allows(self, verb: str, group: str, resource: str, name: str | None) -> bool:
        return any(r.grants(verb, group, resource, name) for r in self.rules)

    def allows_url(self, verb: str, path: str) -> bool:
        return any(r.grants_url(verb, path) for r in self.rules)
