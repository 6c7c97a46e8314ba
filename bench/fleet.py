"""`make bench-fleet`: opsbook across a fleet (10, 50, 200 accounts x 2 regions) with AWS's latency and
throttling on, beside c7n-org, Prowler, the measured boto3 floor and the computed floor.

    python -m bench.fleet [--sizes 10,50,200] [--regions 2] [--scale 0.05] [--rounds 1] [--no-warmup]
                          [--prowler-accounts 10] [--no-c7n] [--no-full] [--no-temporal] [--results bench/results]

Per size: starts `opsbook sandbox up --accounts N --regions M --scale S --latency aws --throttle aws` (the
seeding time is printed and kept), runs every tool once unmeasured (the warm-up fills the sandbox's read
cache, so moto's CPU is spent before the measured rounds), then runs the tools interleaved per round, each from a reset of the
sandbox's stats (GET/DELETE /opsbook-api/stats: calls, throttled, retries, the sandbox's CPU). Per run:
wall time, peak RSS and CPU time (user + system) of the tool's process tree (os.wait4), the sandbox's
counts, findings per pack check. The computed floor comes from the floor run's stats and the model's
numbers (bench/fleet_floor.py). Tools are bench/harness.py's: `opsbook` (the pack, like for like),
`opsbook-daily-weekly` (the AWS checks of run daily + run weekly), `opsbook-temporal-2w` (the pack
`--on temporal` with two `opsbook worker`s and Temporal's dev server: bench/fleet_temporal.py), `floor`, `c7n` (c7n-org at its default
parallelism, C7N_ORG_PARALLEL = 4 per CPU), `prowler` (one process per account, one after the other: run on
--prowler-accounts accounts at the smallest size only, its time for each size projected from that sample).
Writes bench/results/fleet-<stamp>.json, .md and .svg.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import fleet_report, fleet_temporal, harness
from bench.fleet_floor import computed_floor

SANDBOX_MODEL = ("--latency", "aws", "--throttle", "aws")
# Per account-region: 100 volumes, 25 Elastic IPs, 15 snapshots, 10 security groups, 2 load balancers,
# 5 alarms, 2 secrets (BulkEstate scale 0.05), plus the guide's estate in the first three accounts: a
# small team account, where every listing is one page, so the wall time is round trips and throttling.
SCALE = 0.05
FLOOR_WORKERS = 256  # the measured floor: one thread per target up to this many


class Stats:
    """The sandbox's traffic counts (sandbox/aws/traffic.py)."""

    def __init__(self, endpoint: str) -> None:
        self.url = f"{endpoint}/opsbook-api/stats"

    def _call(self, method: str) -> dict[str, Any]:
        data: dict[str, Any] = harness.sandbox_api(self.url, method)
        return data

    def reset(self) -> None:
        self._call("DELETE")

    def read(self) -> dict[str, Any]:
        return self._call("GET")


def machine_cpu() -> tuple[int, int]:
    """(idle, total) jiffies of all CPUs (Linux /proc/stat), to tell a starved run from a waiting one."""
    try:
        fields = [
            int(x) for x in Path("/proc/stat").read_text(encoding="utf-8").split("\n", 1)[0].split()[1:]
        ]
    except (OSError, ValueError):
        return 0, 0
    return fields[3] + fields[4], sum(fields)


def machine_busy(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    total = after[1] - before[1]
    return round(1 - (after[0] - before[0]) / total, 3) if total > 0 else None


def run_tool(tool: harness.Tool, stats: Stats, work: Path) -> dict[str, Any]:
    prepare = getattr(tool, "prepare", None)
    if prepare:
        prepare()
    stats.reset()
    cpu0 = machine_cpu()
    wall = rss = cpu = 0.0
    codes = []
    for cmd in tool.commands:
        w, code, r, c = harness.measure(cmd, tool.env, work / f"{tool.name}.log")
        wall, rss, cpu = wall + w, max(rss, r), cpu + c
        codes.append(code)
    busy = machine_busy(cpu0, machine_cpu())
    s = stats.read()
    try:
        found = tool.findings()
    except (OSError, ValueError, KeyError) as exc:
        found, codes = {"(unreadable)": 1}, [*codes, -1]
        print(f"    {tool.name}: findings unreadable: {exc}", flush=True)
    run = {
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(rss, 1),
        "cpu_s": round(cpu, 2),
        "calls": s["calls"],
        "throttled": s["throttled"],
        "retries": s["retries"],
        "sandbox_cpu_s": s["cpu_s"],
        "sandbox_cpu_share": round(s["cpu_s"] / wall, 3) if wall else None,
        "machine_busy": busy,  # share of all CPUs busy during the run, every process on the machine
        "exit_codes": codes,
        "findings": found,
        "by_operation": s["by_operation"],
    }
    bad = [c for c in codes if c not in tool.ok_codes]
    print(
        f"    {tool.name:<22} {wall:8.2f}s  {s['calls']:6d} calls  {s['throttled']:5d} throttled  "
        f"{s['retries']:5d} retries  {rss:5.0f} MB  cpu {cpu:6.1f}s  sandbox cpu {run['sandbox_cpu_share']}  "
        f"machine busy {busy}" + (f"  exit codes {codes} (see {work / (tool.name + '.log')})" if bad else ""),
        flush=True,
    )
    return run


def profile(tool: harness.Tool, work: Path, top: int = 15) -> str | None:
    """The opsbook pack once more under py-spy (when installed): the functions its threads spend their
    samples in (leaf frames), waiting ones included (--idle): a thread blocked on a lock or a socket shows
    there, which is what tells waiting from working."""
    spy = harness.BIN / "py-spy"
    if not spy.exists():
        return None
    raw = work / "opsbook-profile.txt"
    cmd = [str(spy), "record", "-r", "40", "-f", "raw", "-o", str(raw), "--subprocesses", "--idle", "--"]
    harness.measure([*cmd, *tool.commands[0]], tool.env, work / "profile.log")
    if not raw.exists():
        return None
    leaves: dict[str, int] = {}
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, n = line.rpartition(" ")
        frame = stack.rsplit(";", 1)[-1]
        func, _, where = frame.partition(" (")
        module = where.split(":", 1)[0].split("site-packages/")[-1].split("/src/")[-1]
        key = f"{func} ({module})"
        leaves[key] = leaves.get(key, 0) + int(n)
        total += int(n)
    rows = sorted(leaves.items(), key=lambda kv: -kv[1])[:top]
    return "\n".join(f"{n / total:6.1%}  {k}" for k, n in rows) + f"\n({total} samples, all threads)"


def fleet_size(
    n: int, args: argparse.Namespace, stamp: str, prowler_per_account: list[float], *, last: bool = False
) -> dict[str, Any]:
    work = harness.BENCH / "work" / f"fleet-{stamp}" / str(n)
    work.mkdir(parents=True, exist_ok=True)
    print(f"{n} accounts x {args.regions} regions, scale {args.scale}: seeding ...", flush=True)
    t0 = time.monotonic()
    ns = argparse.Namespace(accounts=n, regions=args.regions, scale=args.scale)
    sandbox, sandbox_cfg = harness.start_sandbox(ns, work, SANDBOX_MODEL)
    seed_s = time.monotonic() - t0
    print(f"  seeded in {seed_s:.0f}s", flush=True)
    try:
        cfg_path, cfg = harness.opsbook_config(sandbox_cfg, work)
        endpoint = cfg["aws"]["endpoint_url"]
        env = harness.tool_env(endpoint)
        tools = harness.opsbook_tools(cfg_path, env, work)[: 1 if args.no_full else 2]
        tools.append(harness.floor_tool(cfg_path, env, work, FLOOR_WORKERS))
        if not args.no_c7n:
            tools.append(harness.c7n_tool(cfg, env, work))
        if args.prowler_accounts and not prowler_per_account:  # a sample, at the smallest size only
            sample = {**cfg, "accounts": cfg["accounts"][: args.prowler_accounts]}
            tools.append(harness.prowler_tool(sample, env, work))
        with contextlib.ExitStack() as stack:
            temporal = None
            if args.temporal and not (why := fleet_temporal.available()):
                temporal = stack.enter_context(fleet_temporal.TemporalFleet(cfg_path, env, work))
                tools.insert(1, temporal.tool())
            elif args.temporal:
                print(f"  no Temporal row: {why}", flush=True)
            stats = Stats(endpoint)
            runs: dict[str, list[dict[str, Any]]] = {t.name: [] for t in tools}
            if (
                args.warmup
            ):  # the sandbox answers reads from its cache after: moto's CPU is not the tools' time
                print("  warm-up round (fills the sandbox's read cache; not measured)", flush=True)
                for tool in tools:
                    run_tool(tool, stats, work)
            for r in range(args.rounds):
                print(f"  round {r + 1}/{args.rounds}", flush=True)
                for tool in tools:
                    before = temporal.workers_cpu() if temporal and tool.name == fleet_temporal.NAME else 0.0
                    run = run_tool(tool, stats, work)
                    if temporal and tool.name == fleet_temporal.NAME:
                        run["workers_cpu_s"] = round(temporal.workers_cpu() - before, 2)
                    runs[tool.name].append(run)
            spied = profile(tools[0], work) if last and not args.no_profile else None
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=60)
    out = {name: fleet_report.summarise_runs(rs) for name, rs in runs.items()}
    floor = computed_floor(out["floor"]["by_operation"], _model())
    out["computed-floor"] = {"wall_s": round(floor.seconds, 3), "bound": vars(floor)}
    if "prowler" in out:
        k = min(n, args.prowler_accounts)
        prowler_per_account.append(out["prowler"]["wall_s"] / k)
        out["prowler"]["note"] = f"run on {k} of {n} accounts (one process per account)"
        out["prowler"]["findings"] = None  # of the sample only: not comparable with the fleet's
        out["prowler"]["projected_wall_s"] = round(out["prowler"]["wall_s"] / k * n, 1)
    elif prowler_per_account:
        per = min(prowler_per_account)
        out["prowler"] = {
            "wall_s": None,
            "projected_wall_s": round(per * n, 1),
            "note": f"not run: one process per account, {per:.0f} s each in the sample, so about "
            f"{per * n / 60:.0f} min for {n} accounts",
        }
    for data in out.values():
        data.pop("by_operation", None)
    return {
        "accounts": n,
        "regions": args.regions,
        "seed_s": round(seed_s, 1),
        "tools": out,
        "profile": spied,
    }


def _model() -> Any:
    from opsbook.sandbox.aws.model import load_model

    return load_model()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10,50,200", help="accounts per size, comma-separated")
    p.add_argument("--regions", type=int, default=2)
    p.add_argument("--scale", type=float, default=SCALE)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="measure from a cold sandbox (moto computes every answer; its CPU then competes with the tools')",
    )
    p.add_argument(
        "--prowler-accounts", type=int, default=1, help="Prowler's sample at the smallest size (0: none)"
    )
    p.add_argument("--no-c7n", action="store_true")
    p.add_argument("--no-full", action="store_true", help="skip the opsbook daily+weekly row")
    p.add_argument(
        "--no-temporal",
        dest="temporal",
        action="store_false",
        help="skip the pack --on temporal with 2 workers (bench/fleet_temporal.py)",
    )
    p.add_argument("--no-profile", action="store_true", help="no py-spy run of opsbook at the largest size")
    p.add_argument("--results", type=Path, default=harness.BENCH / "results")
    args = p.parse_args(argv)
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        print(f"error: --sizes {args.sizes!r}: expected accounts like 10,50,200", file=sys.stderr)
        return 2
    if not sizes or min(sizes) < 1 or args.rounds < 1:
        print(f"error: --sizes {args.sizes!r} / --rounds {args.rounds}: need >= 1", file=sys.stderr)
        return 2
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    prowler_per_account: list[float] = []
    result: dict[str, Any] = {
        "timestamp": stamp,
        "command": "python -m bench.fleet " + " ".join(argv if argv is not None else sys.argv[1:]),
        "scale": args.scale,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "machine": harness.machine(),
        "pack": harness.PACK,
        "sizes": [],
    }
    args.results.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        result["sizes"].append(fleet_size(n, args, stamp, prowler_per_account, last=n == sizes[-1]))
        fleet_report.write(
            result, args.results / f"fleet-{stamp}"
        )  # after each size: partial results survive
    print()
    print((args.results / f"fleet-{stamp}.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
