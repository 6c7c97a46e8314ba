"""`opsbook serve`: refuses to start off loopback without auth (exit 2, one line, before binding), and as a
real process listens on 127.0.0.1, answers from the store, and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from pathlib import Path

import pytest

from opsbook.cli.main import main
from tests.cli.helpers import serving_process
from tests.web.conftest import TOKEN, WebData


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--host", "0.0.0.0"], "--host 0.0.0.0: not a loopback address"),
        (["--host", "192.0.2.10", "--trust-user-header", "X-Forwarded-User"], "needs --trusted-proxy"),
        (["--trusted-proxy", "10.0.0.1"], "--trusted-proxy goes with --trust-user-header"),
        (
            ["--trust-user-header", "X-U", "--trusted-proxy", "10.0.0.0/8"],
            "--trusted-proxy 10.0.0.0/8: not an IP",
        ),
        (["--trust-user-header", "X-U", "--trusted-proxy", "proxy.example"], "not an IP address"),
        (["--trust-user-header", "X User:", "--trusted-proxy", "10.0.0.5"], "--trust-user-header 'X User:'"),
        (["--trust-user-header", "", "--trusted-proxy", "10.0.0.5"], "not a header name"),
        (["--trust-user-header", "X-Ü", "--trusted-proxy", "10.0.0.5"], "not a header name"),
    ],
)
def test_refuses_what_would_be_unsafe(args: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1


def test_serve_listens_on_loopback_answers_and_stops(web_data: WebData, tmp_path: Path) -> None:
    env = {**os.environ, "OPSBOOK_WEB_TOKEN": TOKEN, "NO_COLOR": "1"}
    with serving_process(
        ["--config", str(web_data.config_path), "serve", "--port", "0"], cwd=tmp_path, env=env
    ) as (proc, base, line):
        with urllib.request.urlopen(base + "api/runs", timeout=30) as resp:  # noqa: S310 - 127.0.0.1
            listed = {r["run_id"] for r in json.loads(resp.read())}
            assert resp.headers["X-Frame-Options"] == "DENY"
        assert {web_data.first, web_data.second} <= listed
        proc.terminate()
        out, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, -signal.SIGTERM), err  # uvicorn shuts down, then re-raises the signal
        assert "Traceback" not in err
        assert TOKEN not in line + out + err  # never printed


def test_serving_runs_the_app_on_a_free_loopback_port_and_stops(web_data: WebData) -> None:
    from opsbook.web.app import create_app
    from opsbook.web.server import serving

    with serving(create_app(web_data.config, web_data.store)) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/healthz", timeout=10) as resp:  # noqa: S310 - 127.0.0.1
            assert json.loads(resp.read()) == {"status": "ok"}
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/healthz", timeout=5)  # noqa: S310 - stopped


def test_a_store_that_cannot_be_opened_is_exit_3_in_one_line_and_closes_the_socket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gc
    import warnings

    config = tmp_path / "opsbook.yaml"
    (tmp_path / "store").write_text("a file where the store's directory should be")
    config.write_text(f"storage:\n  url: sqlite:///{tmp_path}/store/opsbook.db\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert main(["--config", str(config), "serve", "--port", "0"]) == 3
        gc.collect()
    err = capsys.readouterr().err.strip()
    assert "cannot open sqlite" in err and len(err.splitlines()) == 1
    assert not [w for w in caught if "socket" in str(w.message)]  # the listening socket was closed


def test_an_ipv4_proxy_seen_through_a_dual_stack_listener_is_still_trusted() -> None:
    """A listener on `::` sees an IPv4 proxy as `::ffff:a.b.c.d`; `--trusted-proxy a.b.c.d` must match it
    (else everyone behind the proxy gets the sign-in page), and either spelling of the flag is stored alike."""
    from opsbook.cli.serve_cmd import _address
    from opsbook.web.settings import WebSettings, from_trusted_proxy

    settings = WebSettings(
        trust_user_header="X-Forwarded-User", trusted_proxies=(_address("::ffff:10.0.0.5"),)
    )
    assert settings.trusted_proxies == ("10.0.0.5",)
    assert from_trusted_proxy(settings, "::ffff:10.0.0.5") and from_trusted_proxy(settings, "10.0.0.5")
    assert not from_trusted_proxy(settings, "10.0.0.6") and not from_trusted_proxy(settings, None)
    assert not from_trusted_proxy(settings, "testclient")


def test_serve_on_no_store_starts_the_dashboard_and_says_it_made_one(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("OPSBOOK_CONFIG", None)
    with serving_process(["serve", "--port", "0"], cwd=tmp_path, env=env) as (proc, base, _line):
        with urllib.request.urlopen(base + "api/runs", timeout=30) as resp:  # noqa: S310 - 127.0.0.1
            assert json.loads(resp.read()) == []
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "note: no store at .opsbook/opsbook.db yet: made an empty one" in err, err
    assert (tmp_path / ".opsbook" / "opsbook.db").is_file()  # where run now and the calendar write
