"""A Velero backup's `--ttl` is checked as Velero parses it (a Go duration, `core.cron.go_duration`), not by
a pattern of its own: `1.5h` and `500ms`-style parts are durations, a unit-less number, days and zero are not."""

from __future__ import annotations

import pytest

from opsbook.core.errors import InputError
from opsbook.engine.velero import check_ttl


@pytest.mark.parametrize("ttl", ["720h", "24h30m", "90m", "1.5h", "1h0m30s", "720h0m0s"])
def test_go_durations_are_accepted(ttl: str) -> None:
    check_ttl("backup-velero", ttl)


@pytest.mark.parametrize("ttl", ["soon", "30d", "720", "0s", "", "h", "1h 30m"])
def test_anything_else_is_refused_naming_the_option(ttl: str) -> None:
    with pytest.raises(InputError, match=f"backup-velero: --ttl {ttl!r}: expected a duration"):
        check_ttl("backup-velero", ttl)
