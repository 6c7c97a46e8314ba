"""The IAM authorization details export: registered as the guide's iam-audit-YYYYMM.json, pages merged,
collected in the primary region only (a stub client: no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from opsbook.collect.aws import iam
from opsbook.core import exports


class StubIam:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def get_paginator(self, name: str) -> Any:
        assert name == "get_account_authorization_details"
        pages = self.pages

        class P:
            def paginate(self) -> list[dict[str, Any]]:
                return pages

        return P()


class Ctx:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.client_ = StubIam(pages)
        self.settings = None
        self.now = datetime(2026, 12, 1, tzinfo=UTC)
        self.config = None
        self.values: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        return self.client_

    def get(self, key: str) -> Any:
        return self.values[key]


def test_export_is_registered_under_the_guides_file_name() -> None:
    assert exports.EXPORTS[iam.EXPORT_KEY] == "iam-audit-{yyyymm}.json"
    assert exports.filename(iam.EXPORT_KEY, datetime(2026, 12, 1)) == "iam-audit-202612.json"


def test_pages_are_merged() -> None:
    pages = [
        {"RoleDetailList": [{"RoleName": "a"}], "Policies": [], "IsTruncated": True, "Marker": "m"},
        {"RoleDetailList": [{"RoleName": "b"}], "UserDetailList": [{"UserName": "u"}], "IsTruncated": False},
    ]
    out = iam.authorization_export(Ctx(pages))  # type: ignore[arg-type]
    assert out == {
        "UserDetailList": [{"UserName": "u"}],
        "GroupDetailList": [],
        "RoleDetailList": [{"RoleName": "a"}, {"RoleName": "b"}],
        "Policies": [],
    }
    ctx = Ctx([])
    ctx.values[iam.EXPORT_KEY] = None
    assert iam.authorization_details(ctx) is None  # type: ignore[arg-type]
