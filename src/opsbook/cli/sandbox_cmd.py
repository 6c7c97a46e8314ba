"""`opsbook sandbox up` and `opsbook demo`: the built-in estate, no cloud needed."""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from opsbook.cli.common import console
from opsbook.cli.output import writable_directory
from opsbook.core.errors import ConfigError

sandbox_app = typer.Typer(
    help="The built-in sandbox: moto + opsbook's additions, seeded with the guide's estate."
)


def _require_sandbox() -> Any:
    try:
        from opsbook.sandbox.runtime import Sandbox
    except ImportError as exc:
        raise ConfigError(
            f"the sandbox needs the 'sandbox' extra: pip install 'opsbook[sandbox]' ({exc})"
        ) from None
    return Sandbox


class AwsModel(StrEnum):
    aws = "aws"
    none = "none"


@contextlib.contextmanager
def running_sandbox(port: int = 0, bulk: Any = None, **traffic: Any) -> Iterator[Any]:
    """`traffic`: the Sandbox's latency/throttle/cache (unset: OPSBOOK_SANDBOX_LATENCY/_THROTTLE/_CACHE)."""
    sandbox_cls = _require_sandbox()
    err = console(stderr=True)
    sb = sandbox_cls(**traffic)  # a bad OPSBOOK_SANDBOX_* value fails here, before anything starts
    with (
        err.status("starting the sandbox and seeding the estate...")
        if err.is_terminal
        else contextlib.nullcontext()
    ):
        sb.start(port, bulk=bulk)
    try:
        yield sb
    finally:
        sb.stop()


@sandbox_app.command("up")
def up(
    port: int = typer.Option(
        0, "--port", "-p", min=0, max=65535, help="Port for the AWS endpoint (0 = any free port)."
    ),
    config_out: Path = typer.Option(
        Path(".opsbook/sandbox.yaml"),
        "--config-out",
        help="Write an opsbook.yaml pointing at the sandbox here.",
    ),
    storage_url: str = typer.Option(
        "sqlite:///.opsbook/sandbox.db", "--storage-url", help="Store URL written into the emitted config."
    ),
    kubeconfig_out: Path | None = typer.Option(
        None,
        "--kubeconfig-out",
        help="Also write a kubeconfig for kubectl against the sandbox's cluster here (removed on stop).",
    ),
    accounts: int = typer.Option(
        None,
        "--accounts",
        min=1,
        max=999,
        help="Large estate for benchmarks: this many accounts (default 3).",
    ),
    regions: int = typer.Option(
        None, "--regions", min=1, max=7, help="Large estate: regions per account (2)."
    ),
    scale: float = typer.Option(
        None,
        "--scale",
        min=0,
        max=100,
        help="Large estate: size per account-region; 1 = ~2,000 EBS volumes, 500 Elastic IPs, 300 snapshots, "
        "200 security groups, 20 load balancers, 100 alarms, 50 secrets.",
    ),
    latency: AwsModel = typer.Option(
        None,
        "--latency",
        help="aws: each answer waits as AWS's would (sandbox/aws/aws_model.yaml); none (default; or "
        "$OPSBOOK_SANDBOX_LATENCY).",
    ),
    throttle: AwsModel = typer.Option(
        None,
        "--throttle",
        help="aws: token buckets per account x region x API family answer with each service's throttling "
        "error; none (default; or $OPSBOOK_SANDBOX_THROTTLE).",
    ),
    response_cache: bool = typer.Option(
        None,
        "--response-cache/--no-response-cache",
        help="Answer repeated reads from a cache dropped by any change (default: on with --latency aws; "
        "or $OPSBOOK_SANDBOX_CACHE=on|off).",
    ),
) -> None:
    """Start the sandbox on 127.0.0.1 and keep it running until Ctrl-C.

    Any other opsbook process can use it meanwhile: `opsbook --config .opsbook/sandbox.yaml run daily`.
    """
    stop = threading.Event()
    bulk = None
    if accounts is not None or regions is not None or scale is not None:
        from opsbook.sandbox.aws.bulk import BulkEstate

        bulk = BulkEstate(accounts or 3, regions or 2, 1.0 if scale is None else scale)
    traffic = {
        "latency": latency.value if latency is not None else None,
        "throttle": throttle.value if throttle is not None else None,
        "cache": response_cache,
    }
    with running_sandbox(port, bulk, **traffic) as sb:
        path = sb.write_config(config_out, storage_url)
        kube_path = sb.write_kubeconfig(kubeconfig_out) if kubeconfig_out is not None else None
        out = console()
        out.print(f"sandbox AWS endpoint: {sb.aws_url}")
        t = sb.traffic
        cache = "on" if t.cache is not None else "off"
        out.print(f"AWS model: latency {t.latency}, throttle {t.throttle}, read cache {cache}; "
                  f"stats: {sb.aws_url}/opsbook-api/stats")  # fmt: skip
        out.print(f"config written to: {path}")
        if kube_path is not None:
            out.print(
                f"kubeconfig written to: {kube_path}    (try: KUBECONFIG={kube_path} kubectl get nodes)"
            )
        out.print(f"try: opsbook --config {path} run daily    (Ctrl-C to stop)")
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            if kube_path is not None:
                with contextlib.suppress(OSError):
                    kube_path.unlink()
    console().print("sandbox stopped")


def demo(
    report_dir: Path = typer.Option(
        Path("opsbook-report"), "--report-dir", help="Where the reports go.", callback=writable_directory
    ),
) -> None:
    """Start the sandbox, run the daily checks, show the summary, write JSON, Markdown and HTML reports, stop."""
    from opsbook.cli.progress import ProgressObserver
    from opsbook.cli.run_cmd import SANDBOX_DB, write_reports
    from opsbook.core.config import Config
    from opsbook.engine import service
    from opsbook.reports import model, table

    t0 = time.monotonic()
    out = console()
    with running_sandbox() as sb:
        cfg = Config.model_validate(sb.config(SANDBOX_DB)).model_copy(update={"source": "(sandbox)"})
        out.print(f"[bold]opsbook demo[/]: sandbox up at {sb.aws_url}; running the daily checks")
        with ProgressObserver() as progress:
            result = service.run(cfg, service.RunRequest(scopes=["daily"]), observer=progress)
        report = model.build(result, cfg.run.fail_on, release=True)
    table.render(out, report)
    paths = write_reports(report, report_dir)
    out.print(f"reports: {', '.join(str(p) for p in paths)}  ({time.monotonic() - t0:.1f}s)", soft_wrap=True)
    page = next(p for p in paths if p.suffix == ".html").resolve()
    out.print(f"open the HTML report in a browser: {page.as_uri()}", soft_wrap=True)
    store = SANDBOX_DB.removeprefix("sqlite:///")
    out.print(
        f"browse this run and the next ones (store {store}): run `opsbook serve --sandbox-store` in this "
        f"directory{_not_on_path()}, then open http://127.0.0.1:8080/",
        soft_wrap=True,
        highlight=False,
    )


def _not_on_path() -> str:
    """` (opsbook is .venv/bin/opsbook here)` when the `opsbook` a shell finds is not this one (`make demo`
    installs into .venv without putting it on PATH), else nothing."""
    mine = Path(sys.executable).parent / "opsbook"
    found = shutil.which("opsbook")
    if not mine.exists() or (found and Path(found).resolve() == mine.resolve()):
        return ""
    try:
        shown = mine.relative_to(Path.cwd())
    except ValueError:
        shown = mine
    return f" (opsbook is {shown} here)"


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
    app.command("demo")(demo)
