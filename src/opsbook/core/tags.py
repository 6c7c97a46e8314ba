"""Protect tags (`key=value`, or `key` for any value), as the config's `protect_tag` and
`access.protect_tag` name them."""

from __future__ import annotations


def is_protected(tags: dict[str, str], protect_tag: str) -> bool:
    key, sep, value = protect_tag.partition("=")
    if not key or key not in tags:
        return False
    return not sep or tags[key].strip().lower() == value.strip().lower()
