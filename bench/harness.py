"""`make bench`: opsbook beside Cloud Custodian (c7n-org), Prowler and a plain-boto3 floor, one sandbox.

    python -m bench.harness [--accounts 3 --regions 2 --scale 1] [--rounds 3] [--with-prowler] [--no-c7n]
                            [--config opsbook.yaml]   # an already running sandbox instead of starting one

Starts `opsbook sandbox up --accounts N --regions M --scale K`, then runs the tools interleaved (A B C A B C
...) for --rounds rounds. Per run it resets and reads the sandbox's request counter (GET/DELETE
/opsbook-api/calls, counted at its HTTP layer the same way for every tool), times the wall clock and takes
the peak RSS of the tool's process tree (wait4). Findings are compared per equivalent check. Writes
bench/results/<timestamp>.json and .md and prints the table.

Tools: `opsbook` = the equivalent checks (PACK) in one `opsbook run --check ...`, like for like with the
others; `opsbook-daily-weekly` = `run daily` + `run weekly` (+ `cleanup plan` when that command exists), as
a user runs them (AWS only); `c7n` = `c7n-org run` of bench/c7n/policies.yml in bench/.venv-c7n (created
here from PyPI); `floor` = bench/floor.py; `prowler` (--with-prowler) = its own venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
# this checkout's opsbook, whichever checkout the venv was installed from, then bench itself
PYTHONPATH = os.pathsep.join((str(ROOT / "src"), str(ROOT)))
# opsbook check id -> c7n policy name (bench/c7n/policies.yml): the checks every tool runs
PACK = {
    "ec2.unattached_volumes": "ec2-unattached_volumes",
    "ec2.unassociated_addresses": "ec2-unassociated_addresses",
    "ec2.old_snapshots": "ec2-old_snapshots",
    "ec2.unused_security_groups": "ec2-unused_security_groups",
    "elbv2.idle_load_balancers": "elbv2-idle_load_balancers",
    "cloudwatch.alarms_in_alarm": "cloudwatch-alarms_in_alarm",
    "rds.instance_not_available": "rds-instance_not_available",
    "eks.cluster_not_active": "eks-cluster_not_active",
}
OPSBOOK_OK = (0, 1, 3)  # clean, findings, some targets/checks unreadable (reported as ERROR findings)
KEY = "opsbooksandbox"


@dataclass
class Tool:
    name: str
    commands: list[list[str]]
    findings: Any  # (run dir) -> {check id: failing count}
    env: dict[str, str] = field(default_factory=dict)
    ok_codes: tuple[int, ...] = (0,)
    runs: list[dict[str, Any]] = field(default_factory=list)


def measure(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, int, float, float]:
    """(wall seconds, exit code, peak RSS MB of the process tree, CPU seconds user + system) of one
    command."""
    with log.open("ab") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603 - fixed argv, no shell
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # Linux: KiB


def sandbox_api(url: str, method: str = "GET", timeout: float = 60) -> Any:
    """GET (or DELETE: reset) one of the sandbox's own endpoints (/opsbook-api/...), as JSON."""
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback sandbox
        return json.loads(resp.read() or b"{}")


class Counter:
    def __init__(self, endpoint: str) -> None:
        self.url = f"{endpoint}/opsbook-api/calls"

    def _call(self, method: str) -> dict[str, int]:
        data: dict[str, int] = sandbox_api(self.url, method)
        return data

    def reset(self) -> None:
        self._call("DELETE")

    def read(self) -> dict[str, int]:
        """service:Operation -> requests (all accounts)."""
        out: dict[str, int] = {}
        for key, n in self._call("GET").items():
            op = key.split("|", 1)[1]
            out[op] = out.get(op, 0) + n
        return dict(sorted(out.items()))


# ---- the sandbox -----------------------------------------------------------------------------------


def start_sandbox(
    args: argparse.Namespace, work: Path, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], Path]:
    """`opsbook sandbox up` with the estate of args.accounts/regions/scale (plus `extra` options)."""
    cfg = work / "sandbox.yaml"
    cmd = [str(BIN / "opsbook"), "sandbox", "up", "--config-out", str(cfg), *extra]
    cmd += ["--storage-url", f"sqlite:///{work / 'sandbox.db'}"]
    cmd += ["--accounts", str(args.accounts), "--regions", str(args.regions), "--scale", str(args.scale)]
    log = (work / "sandbox.log").open("wb")
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)  # noqa: S603 - no shell
    deadline = time.monotonic() + 900
    while not cfg.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the sandbox did not start; see {work / 'sandbox.log'}")
        time.sleep(0.2)
    return proc, cfg


def opsbook_config(sandbox_cfg: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    """The sandbox's opsbook.yaml, AWS only (no clusters), with the benchmark's own store."""
    cfg = yaml.safe_load(sandbox_cfg.read_text(encoding="utf-8"))
    cfg.pop("clusters", None)
    for acct in cfg["accounts"]:  # explicit regions, so every tool covers the same targets
        acct["regions"] = acct.get("regions") or cfg["aws"].get("default_regions") or ["us-east-1"]
    cfg["storage"] = {"url": f"sqlite:///{work / 'opsbook.db'}"}
    path = work / "opsbook.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path, cfg


# ---- the tools ------------------------------------------------------------------------------------


def report_findings(*reports: Path) -> dict[str, int]:
    out: dict[str, int] = {c: 0 for c in PACK}
    for path in reports:
        if not path.exists():
            continue
        for f in json.loads(path.read_text(encoding="utf-8"))["findings"]:
            if f["check_id"] in PACK and f["status"] in ("fail", "error"):
                key = f["check_id"] if f["status"] == "fail" else f"{f['check_id']} (error)"
                out[key] = out.get(key, 0) + 1
    return out


def opsbook_tools(cfg: Path, env: dict[str, str], work: Path) -> list[Tool]:
    ob = [str(BIN / "opsbook"), "--config", str(cfg)]
    pack = [a for c in PACK for a in ("--check", c)]
    tools = [
        Tool(
            "opsbook",
            [[*ob, "run", *pack, "-f", "json", "-o", str(work / "opsbook-pack.json")]],
            lambda: report_findings(work / "opsbook-pack.json"),
            env,
            OPSBOOK_OK,
        )
    ]
    full = [
        [*ob, "run", "daily", "-f", "json", "-o", str(work / "opsbook-daily.json")],
        [*ob, "run", "weekly", "-f", "json", "-o", str(work / "opsbook-weekly.json")],
    ]
    if cleanup_available(env):
        full.append([*ob, "cleanup", "plan", "-o", str(work / "cleanup-plan.json")])
    tools.append(
        Tool(
            "opsbook-daily-weekly",
            full,
            lambda: report_findings(work / "opsbook-daily.json", work / "opsbook-weekly.json"),
            env,
            OPSBOOK_OK,
        )
    )
    return tools


def cleanup_available(env: dict[str, str]) -> bool:
    probe = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [str(BIN / "opsbook"), "cleanup", "--help"], env=env, capture_output=True, cwd=ROOT, check=False
    )
    return probe.returncode == 0


def floor_tool(cfg: Path, env: dict[str, str], work: Path, workers: int | None = None) -> Tool:
    out = work / "floor.json"

    def findings() -> dict[str, int]:
        data: dict[str, int] = json.loads(out.read_text(encoding="utf-8"))["findings"]
        return data

    cmd = [sys.executable, "-m", "bench.floor", str(cfg), str(out), *([str(workers)] if workers else [])]
    return Tool("floor", [cmd], findings, env)


def venv(path: Path, packages: list[str], log: Path) -> Path:
    """A venv under bench/ with `packages` from PyPI (created once)."""
    stamp = path / ".installed"
    if not stamp.exists():
        print(f"installing {' '.join(packages)} into {path} ...", flush=True)
        with log.open("ab") as out:
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, stdout=out, stderr=out)  # noqa: S603
            subprocess.run(  # noqa: S603
                [str(path / "bin" / "pip"), "install", "--quiet", *packages],
                check=True,
                stdout=out,
                stderr=out,
            )
        stamp.touch()
    return path / "bin"


def c7n_tool(cfg: dict[str, Any], env: dict[str, str], work: Path, workers: int | None = None) -> Tool:
    """c7n-org run of the pack; `workers`: its C7N_ORG_PARALLEL (accounts x regions at once; its default
    is 4 per CPU)."""
    bin_dir = venv(BENCH / ".venv-c7n", ["c7n", "c7n-org"], work / "install.log")
    accounts = [
        {"account_id": a["id"], "name": a["name"], "regions": a["regions"], "role": a["role_arn"]}
        for a in cfg["accounts"]
    ]
    accounts_file = work / "c7n-accounts.yml"
    accounts_file.write_text(yaml.safe_dump({"accounts": accounts}, sort_keys=False), encoding="utf-8")
    out_dir, cache = work / "c7n-out", work / "c7n-cache"
    names = {v: k for k, v in PACK.items()}

    def findings() -> dict[str, int]:
        counts = {c: 0 for c in PACK}
        for res in out_dir.glob("*/*/*/resources.json"):
            check = names.get(res.parent.name)
            if check:
                counts[check] += len(json.loads(res.read_text(encoding="utf-8")))
        for a in accounts:  # a policy that raised leaves no resources.json: count it as an error
            for region in a["regions"]:
                for policy, check in names.items():
                    if not (out_dir / a["name"] / region / policy / "resources.json").exists():
                        counts[f"{check} (error)"] = counts.get(f"{check} (error)", 0) + 1
        return counts

    cmd = [
        str(bin_dir / "c7n-org"),
        "run",
        "-c",
        str(accounts_file),
        "-u",
        str(BENCH / "c7n" / "policies.yml"),
    ]
    cmd += ["-s", str(out_dir), "--cache-path", str(cache)]
    tool = Tool("c7n", [cmd], findings, env | ({"C7N_ORG_PARALLEL": str(workers)} if workers else {}))

    def prepare() -> None:  # every round cold: no output, no c7n resource cache from the last one
        for p in (out_dir, cache):
            shutil.rmtree(p, ignore_errors=True)
        cache.mkdir(parents=True)

    tool.prepare = prepare  # type: ignore[attr-defined]
    return tool


def prowler_tool(cfg: dict[str, Any], env: dict[str, str], work: Path) -> Tool:
    """Prowler's equivalents of the pack, account by account (it has no multi-account runner of its own)."""
    bin_dir = venv(BENCH / ".venv-prowler", ["prowler"], work / "install.log")
    # Prowler 5.x has one exact equivalent of the pack (checked against `prowler aws --list-checks`):
    # its EBS-unused and security-group-unused checks are gone, and it has none for alarm state, RDS or
    # EKS status, old snapshots or idle load balancers. The table shows "–" for those.
    checks = ["ec2_elastic_ip_unassigned"]
    out_dir = work / "prowler-out"
    cmds = []
    for a in cfg["accounts"]:
        cmd = [str(bin_dir / "prowler"), "aws", "--role", a["role_arn"], "--checks", *checks]
        cmd += ["--filter-region", *a["regions"], "--output-formats", "json-ocsf", "--output-directory"]
        cmds.append([*cmd, str(out_dir / a["name"]), "--no-banner", "--ignore-exit-code-3"])

    def findings() -> dict[str, int]:
        counts: dict[str, int] = {}
        names = {"ec2_elastic_ip_unassigned": "ec2.unassociated_addresses"}
        for path in out_dir.glob("*/*.ocsf.json"):
            for f in json.loads(path.read_text(encoding="utf-8")):
                check = names.get(f.get("metadata", {}).get("event_code", ""))
                # the pack (opsbook, c7n, floor) leaves resources tagged opsbook:keep=true alone; Prowler
                # has no such option, so the same rule is applied to its output here
                labels = {lab for r in f.get("resources", []) for lab in r.get("labels", [])}
                if check and f.get("status_code") == "FAIL" and "opsbook:keep:true" not in labels:
                    counts[check] = counts.get(check, 0) + 1
        return counts

    tool = Tool("prowler", cmds, findings, env)
    tool.prepare = lambda: shutil.rmtree(out_dir, ignore_errors=True)  # type: ignore[attr-defined]
    return tool


# ---- running and reporting ------------------------------------------------------------------------


def run_round(tool: Tool, counter: Counter, work: Path) -> None:
    prepare = getattr(tool, "prepare", None)
    if prepare:
        prepare()
    counter.reset()
    wall, rss, codes = 0.0, 0.0, []
    for cmd in tool.commands:
        w, code, r, _ = measure(cmd, tool.env, work / f"{tool.name}.log")
        wall, rss = wall + w, max(rss, r)
        codes.append(code)
    calls = counter.read()
    try:
        found = tool.findings()
    except (OSError, ValueError, KeyError) as exc:
        found = {"(unreadable)": 1}
        codes.append(-1)
        print(f"  {tool.name}: findings unreadable: {exc}", flush=True)
    tool.runs.append(
        {"wall_s": wall, "peak_rss_mb": rss, "exit_codes": codes, "calls": calls, "findings": found}
    )
    bad = [c for c in codes if c not in tool.ok_codes]
    print(
        f"  {tool.name:<22} {wall:7.2f}s  {sum(calls.values()):6d} requests  {rss:6.0f} MB"
        + (f"  exit codes {codes} (see {work / (tool.name + '.log')})" if bad else ""),
        flush=True,
    )


def summarise(tools: list[Tool]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in tools:
        walls = [r["wall_s"] for r in t.runs]
        last = t.runs[-1]
        out[t.name] = {
            "wall_s_median": round(statistics.median(walls), 3),
            "wall_s_min": round(min(walls), 3),
            "wall_s_max": round(max(walls), 3),
            "wall_s_runs": [round(w, 3) for w in walls],
            "api_requests": statistics.median(sum(r["calls"].values()) for r in t.runs),
            "api_requests_by_operation": last["calls"],
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in t.runs), 1),
            "findings": last["findings"],
            "exit_codes": [r["exit_codes"] for r in t.runs],
            "commands": [" ".join(c) for c in t.commands],
        }
    base = out.get("opsbook", {}).get("wall_s_median")
    for data in out.values():
        data["ratio_to_opsbook"] = round(data["wall_s_median"] / base, 3) if base else None
    return out


def disagreements(tools: dict[str, Any]) -> list[str]:
    """Every pack check whose failing count differs from opsbook's (tools that ran it)."""
    ref = tools["opsbook"]["findings"]
    out = []
    for name, data in tools.items():
        if name == "opsbook":
            continue
        f = data["findings"]
        scope = PACK if name in ("floor", "c7n", "opsbook-daily-weekly") else f
        for check in sorted(set(scope) | {k for k in f if k.endswith("(error)")}):
            if f.get(check, 0) != ref.get(check, 0):
                out.append(f"{check}: opsbook {ref.get(check, 0)}, {name} {f.get(check, 0)}")
    for check in sorted(k for k in ref if k.endswith("(error)")):
        out.append(f"{check}: opsbook reported {ref[check]} errors")
    return out


def markdown(result: dict[str, Any]) -> str:
    est = result["estate"]
    lines = [
        f"Estate: {est['accounts']} accounts x {est['regions']} regions, scale {est['scale']} "
        f"({', '.join(f'{v} {k}' for k, v in est['per_account_region'].items())} per account-region); "
        f"{result['rounds']} rounds interleaved; {result['machine']['cpus']} CPUs, {result['machine']['python']}.",
        "",
        "| tool | wall s (median) | min–max | × opsbook | API requests | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t in result["tools"].items():
        ratio = f"{t['ratio_to_opsbook']:.2f}" if t["ratio_to_opsbook"] is not None else "–"
        lines.append(
            f"| {name} | {t['wall_s_median']:.2f} | {t['wall_s_min']:.2f}–{t['wall_s_max']:.2f} | {ratio} | "
            f"{t['api_requests']:.0f} | {t['peak_rss_mb']:.0f} |"
        )
    names = [n for n in result["tools"] if n != "opsbook-daily-weekly"] + ["opsbook-daily-weekly"]
    names = [n for n in names if n in result["tools"]]
    lines += ["", "| failing findings | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for check in PACK:
        row = [str(result["tools"][n]["findings"].get(check, "–")) for n in names]
        lines.append(f"| {check} | " + " | ".join(row) + " |")
    dis = result["disagreements"]
    lines += ["", "Findings agree." if not dis else "Disagreements:\n" + "\n".join(f"- {d}" for d in dis)]
    return "\n".join(lines) + "\n"


def targets(tools: dict[str, Any]) -> dict[str, Any]:
    ob, out = tools["opsbook"], {}
    if "c7n" in tools:
        out["wall_le_third_of_c7n"] = ob["wall_s_median"] <= tools["c7n"]["wall_s_median"] / 3
    if "floor" in tools:
        fl = tools["floor"]
        out["wall_le_1.2x_floor"] = ob["wall_s_median"] <= 1.2 * fl["wall_s_median"]
        out["requests_within_5pct_of_floor"] = ob["api_requests"] <= 1.05 * fl["api_requests"]
    out["peak_rss_lt_150mb"] = ob["peak_rss_mb"] < 150
    return out


def tool_env(endpoint: str) -> dict[str, str]:
    """The environment every tool runs in: the sandbox's endpoint and keys, nothing of the caller's AWS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPSBOOK_"))}
    env |= {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": KEY, "AWS_DEFAULT_REGION": "us-east-1"}
    env |= {"AWS_ENDPOINT_URL": endpoint, "NO_COLOR": "1", "PYTHONPATH": PYTHONPATH}
    return env


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.harness", description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=3)
    p.add_argument("--regions", type=int, default=2)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--with-prowler", action="store_true")
    p.add_argument("--no-c7n", action="store_true", help="skip Cloud Custodian")
    p.add_argument("--no-full", action="store_true", help="skip the opsbook daily+weekly row")
    p.add_argument("--config", type=Path, help="use this running sandbox's opsbook.yaml, start none")
    p.add_argument("--results", type=Path, default=BENCH / "results", help="where the JSON/Markdown go")
    args = p.parse_args(argv)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = BENCH / "work" / stamp
    work.mkdir(parents=True, exist_ok=True)
    sandbox = None
    try:
        if args.config:
            sandbox_cfg = args.config
        else:
            print(
                f"starting the sandbox: {args.accounts} accounts x {args.regions} regions, scale {args.scale}"
            )
            t0 = time.monotonic()
            sandbox, sandbox_cfg = start_sandbox(args, work)
            print(f"sandbox seeded in {time.monotonic() - t0:.0f}s")
        cfg_path, cfg = opsbook_config(sandbox_cfg, work)
        endpoint = cfg["aws"]["endpoint_url"]
        env = tool_env(endpoint)
        tools = opsbook_tools(cfg_path, env, work)
        if args.no_full:
            tools = tools[:1]
        tools.append(floor_tool(cfg_path, env, work))
        if not args.no_c7n:
            tools.append(c7n_tool(cfg, env, work))
        if args.with_prowler:
            tools.append(prowler_tool(cfg, env, work))
        counter = Counter(endpoint)
        for r in range(args.rounds):
            print(f"round {r + 1}/{args.rounds}", flush=True)
            for tool in tools:
                run_round(tool, counter, work)
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(timeout=30)

    summary = summarise(tools)
    from opsbook.sandbox.aws.bulk import BulkEstate

    result = {
        "timestamp": stamp,
        "command": "python -m bench.harness " + " ".join(argv if argv is not None else sys.argv[1:]),
        "estate": BulkEstate(args.accounts, args.regions, args.scale).size()
        if not args.config
        else {
            "accounts": len(cfg["accounts"]),
            "regions": len({r for a in cfg["accounts"] for r in a.get("regions") or ["us-east-1"]}),
            "scale": "the guide's estate (an existing sandbox)",
            "per_account_region": {},
        },
        "rounds": args.rounds,
        "machine": machine(),
        "pack": PACK,
        "tools": summary,
        "disagreements": disagreements(summary),
        "cleanup_plan_included": any("cleanup" in " ".join(c) for t in tools for c in t.commands),
    }
    result["targets"] = targets(summary)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{stamp}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    table = markdown(result)
    (args.results / f"{stamp}.md").write_text(table, encoding="utf-8")
    print()
    print(table)
    print("targets: " + ", ".join(f"{k}={'met' if v else 'MISSED'}" for k, v in result["targets"].items()))
    print(f"results: {args.results / (stamp + '.json')}")
    return 1 if result["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())
