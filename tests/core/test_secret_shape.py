"""A new secret value keeps the old one's shape: JSON keys and other fields, length, character classes."""

from __future__ import annotations

import json
import string

import pytest

from opsbook.core.secret_shape import ShapeError, field_of, new_value, password_fields


def test_json_keeps_keys_and_changes_only_password_like_fields() -> None:
    old = json.dumps({"username": "app", "password": "Abc123-Abc123-Abc123", "host": "db", "port": 5432,
                      "api_key": "k" * 40})  # fmt: skip
    new = json.loads(new_value(old))
    assert list(new) == ["username", "password", "host", "port", "api_key"]
    assert (new["username"], new["host"], new["port"]) == ("app", "db", 5432)
    assert new["password"] != "Abc123-Abc123-Abc123" and len(new["password"]) == 20
    assert set(new["password"]) <= set(string.ascii_letters + string.digits + "-")
    assert new["api_key"] != "k" * 40 and len(new["api_key"]) == 40
    assert set(new["api_key"]) <= set(string.ascii_lowercase)


def test_plain_string_keeps_length_and_alphabet_classes() -> None:
    old = "sandbox-not-a-secret"
    values = {new_value(old) for _ in range(20)}
    assert old not in values and len(values) == 20  # random, never the old one
    for v in values:
        assert len(v) == len(old) and set(v) <= set(string.ascii_lowercase + "-") and "-" in v
    assert len(new_value("ab")) == 16  # never shorter than 16


def test_json_without_a_password_field_is_refused_naming_keys_not_values() -> None:
    with pytest.raises(ShapeError, match=r"no a password-like string field \(its keys: host, user\)"):
        password_fields(json.dumps({"user": "hunter2-user", "host": "db"}))
    assert password_fields(json.dumps({"pw": "x", "a": "y"}), ["a"]) == ["a"]


def test_field_of_reads_a_json_field_or_the_whole_value() -> None:
    assert field_of('{"password": "p"}', "password") == "p"
    assert field_of("plain", None) == "plain"
    with pytest.raises(ShapeError, match="no string field 'password'"):
        field_of("plain", "password")
