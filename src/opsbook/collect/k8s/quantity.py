"""Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `7246212Ki`, `1e3`) as millicores or bytes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal(10**3),
            "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15),
            "E": Decimal(10**18)}  # fmt: skip


def parse(text: str | int | float | None) -> Decimal | None:
    """The quantity's value in base units (cores, bytes), or None when absent or malformed."""
    if text is None:
        return None
    raw = str(text).strip()
    if not raw:
        return None
    try:
        if raw[-2:] in _BINARY:
            return Decimal(raw[:-2]) * _BINARY[raw[-2:]]
        if raw[-1] in _DECIMAL and not raw[-1].isdigit():
            return Decimal(raw[:-1]) * _DECIMAL[raw[-1]]
        return Decimal(raw)
    except InvalidOperation:
        return None


def millicores(text: str | int | float | None) -> int | None:
    value = parse(text)
    return None if value is None else int(value * 1000)


def bytes_of(text: str | int | float | None) -> int | None:
    value = parse(text)
    return None if value is None else int(value)
