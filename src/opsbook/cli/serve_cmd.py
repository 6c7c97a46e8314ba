"""`opsbook serve`: the web app (docs/web.md) over the same store as the CLI.

Binds 127.0.0.1 by default, where pages are open and actions need the token. Off loopback it refuses to
start (exit 2) without a token (`--token` or $OPSBOOK_WEB_TOKEN) or a reverse-proxy user header with the
proxy addresses it trusts; there every page needs sign-in. The token is never printed.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import sys
from pathlib import Path

import typer

from opsbook.cli.common import STATE, console
from opsbook.core.config import Config
from opsbook.core.errors import ConfigError, InputError
from opsbook.engine.selection import load_checked_config
from opsbook.store.db import new_sqlite_file, open_store

TOKEN_ENV = "OPSBOOK_WEB_TOKEN"
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (off loopback needs auth)."),
    port: int = typer.Option(8080, "--port", "-p", min=0, max=65535, help="Port (0 = any free port)."),
    token: str = typer.Option(
        None,
        "--token",
        help=f"Token for sign-in and actions (better: ${TOKEN_ENV}, not in `ps`).",
        show_default=False,
    ),  # fmt: skip
    trust_user_header: str = typer.Option(
        None,
        "--trust-user-header",
        help="Header a reverse proxy sets to the signed-in user (X-Forwarded-User).",
    ),
    trusted_proxy: list[str] = typer.Option(
        [], "--trusted-proxy", help="Address of that proxy (repeatable; required with --trust-user-header)."
    ),
    sandbox_store: bool = typer.Option(
        False,
        "--sandbox-store",
        help="Serve the store `opsbook demo` / `run --sandbox` write (.opsbook/sandbox.db).",
    ),
    schedule: bool = typer.Option(
        False,
        "--schedule",
        help="Also run the calendar (`calendar.times`, docs/schedule.md); with --sandbox-store each run "
        "starts the sandbox.",
    ),
) -> None:
    """Serve the dashboard: runs and trends, findings with filters, plans, audit, incidents, maintenance,
    drift; "run now" and "approve" for signed-in users.

    Examples: `opsbook serve`, `OPSBOOK_WEB_TOKEN=... opsbook serve --port 8080`,
    `opsbook serve --sandbox-store` (after `opsbook demo`), `opsbook serve --schedule` (the guide's
    calendar runs itself; `opsbook serve --sandbox-store --schedule` on the sandbox),
    `opsbook serve --host 0.0.0.0 --trust-user-header X-Forwarded-User --trusted-proxy 10.0.0.5`.

    Exit codes: 2 bad options, no auth off loopback, or the port is taken; 3 the store cannot be opened.
    """
    try:
        from opsbook.web import server
        from opsbook.web.app import create_app
        from opsbook.web.settings import WebSettings, is_loopback
    except ImportError as exc:
        raise ConfigError(f"the web app needs the 'web' extra: pip install 'opsbook[web]' ({exc})") from None
    secret = token or os.environ.get(TOKEN_ENV) or None
    if trust_user_header is not None:
        trust_user_header = _header_name(trust_user_header)
    if trust_user_header and not trusted_proxy:
        raise InputError("--trust-user-header needs --trusted-proxy ADDRESS (the proxy allowed to set it)")
    if trusted_proxy and not trust_user_header:
        raise InputError("--trusted-proxy goes with --trust-user-header")
    proxies = tuple(_address(a) for a in trusted_proxy)
    loopback = is_loopback(host)
    if not loopback and not secret and not trust_user_header:
        raise InputError(
            f"--host {host}: not a loopback address; give a token (--token or ${TOKEN_ENV}) or "
            "--trust-user-header with --trusted-proxy"
        )
    config_path = None
    if schedule:
        from opsbook.cli.schedule_cmd import schedule_config

        cfg, config_path = schedule_config(sandbox_store)
        check_schedule(cfg)
    elif sandbox_store:
        from opsbook.cli.run_cmd import SANDBOX_DB

        cfg = Config.model_validate({"storage": {"url": SANDBOX_DB}}).model_copy(update={"source": None})
    else:
        cfg = load_checked_config(STATE.config_path, required=False)
    settings = WebSettings(public_reads=loopback, trust_user_header=trust_user_header,
                           trusted_proxies=proxies, sandbox=sandbox_store, workdir=Path.cwd(),
                           scheduling=schedule)  # fmt: skip
    try:
        sock = server.bind(host, port)
    except OSError as exc:
        raise InputError(f"--host {host} --port {port}: cannot listen: {exc.strerror or exc}") from None
    with sock:  # closed also when the store cannot be opened
        new = new_sqlite_file(cfg.storage.url)
        # the dashboard writes (run now, approve, the calendar), so a missing store is made here
        store = open_store(cfg.storage.url)
        if new:
            console(stderr=True).print(
                f"note: no store at {new} yet: made an empty one for runs to fill "
                "(if one was expected: check the directory or --config)",
                soft_wrap=True, markup=False, highlight=False,
            )  # fmt: skip
        try:
            app = create_app(cfg, store, secret, settings)
            bound = sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host else host
            out = console()
            out.print(
                f"opsbook web app on http://{shown}:{bound}/  (Ctrl-C to stop)",
                soft_wrap=True,
                highlight=False,
            )
            if not secret and not trust_user_header:
                out.print("read-only: start with a token ($OPSBOOK_WEB_TOKEN) to enable run now and approve",
                          soft_wrap=True, highlight=False)  # fmt: skip
            sys.stdout.flush()  # the address, before serving (a pipe would hold it back)
            if schedule:
                from opsbook.cli.schedule_cmd import scheduling

                # uvicorn re-raises the SIGTERM it stopped on; here it only ends serve(), so the scheduler
                # stops its runs (recorded interrupted) before the process exits
                previous = signal.signal(signal.SIGTERM, lambda *_: None)
                try:
                    with scheduling(cfg, config_path, sandbox=sandbox_store, workdir=Path.cwd()):
                        server.serve(app, sock)
                finally:
                    signal.signal(signal.SIGTERM, previous)
            else:
                server.serve(app, sock)
        finally:
            store.close()


def check_schedule(cfg: Config) -> None:
    """A calendar whose cron never meets its days is exit 2 before anything listens."""
    from datetime import UTC, datetime

    from opsbook.engine import timetable

    timetable.checked(cfg.calendar, datetime.now(UTC))


def _header_name(text: str) -> str:
    """--trust-user-header as an HTTP header name (RFC 9110 token): anything else never arrives as a header,
    so nobody could ever sign in through the proxy."""
    if not HEADER_NAME.fullmatch(text):
        raise InputError(
            f"--trust-user-header {text!r}: not a header name (letters, digits and !#$%&'*+-.^_`|~, "
            "e.g. X-Forwarded-User)"
        )
    return text


def _address(text: str) -> str:
    """A --trusted-proxy as the server sees a peer (an IP address, written canonically): a host name or a
    network would never equal a connection's address, and the proxy's user header would be ignored."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        raise InputError(
            f"--trusted-proxy {text}: not an IP address (the proxy's own, e.g. 10.0.0.5)"
        ) from None
    from opsbook.web.settings import canonical_address

    return canonical_address(str(ip))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
