"""`opsbook diagnose` (behind `opsbook incident diagnose ID`, the incident checklist's step 5): the guide's
Emergency Procedures' diagnostics for the affected targets, collected concurrently into one directory.

Order of work:
1. validate the scope (clusters, accounts, regions, services as NS/DEPLOYMENT or a label selector), `since`
   and the output directory (new or empty) before anything is read or written;
2. per cluster (`diagnose_k8s.py`) and per account x region (`diagnose_aws.py`), on a thread pool: each
   source in turn, a failed source (denied, unreachable) noted with its one-line error and the rest
   collected; headline problems and recent changes gathered on the way;
3. write one JSON and one text file per item, summary.json and summary.md (`diagnose_bundle.py`).

Scope defaults: no cluster named -> the clusters of the named accounts (all when none is named); no account
named -> the EKS accounts of the named clusters (all when no cluster is named either).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opsbook.core.config import Config
from opsbook.core.errors import InputError
from opsbook.core.labels import compile_labels
from opsbook.engine.diagnose_bundle import Bundle, Progress, check_out_dir, stamp, write


@dataclass(frozen=True)
class DiagnoseScope:
    clusters: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # NS/DEPLOYMENT or a label selector (app=myapp)

    def describe(self) -> str:
        parts = [f"{k} {', '.join(v)}" for k, v in (("clusters", self.clusters), ("accounts", self.accounts),
                 ("regions", self.regions), ("services", self.services)) if v]  # fmt: skip
        return "; ".join(parts) or "every configured cluster and account"


@dataclass
class DiagnoseSummary:
    out_dir: Path
    started_at: datetime
    finished_at: datetime
    targets: list[str]
    headlines: list[dict[str, str]] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    collected: int = 0

    @property
    def complete(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {"bundle": str(self.out_dir), "started_at": stamp(self.started_at),
                "finished_at": stamp(self.finished_at), "targets": self.targets, "items": self.collected,
                "headlines": self.headlines, "changes": self.changes, "failed": self.failed}  # fmt: skip


def check_services(services: tuple[str, ...]) -> None:
    from opsbook.engine.workload import DNS_LABEL, DNS_NAME

    for s in services:
        if "=" not in s and "/" in s:
            ns, _, name = s.partition("/")
            if DNS_LABEL.fullmatch(ns) and DNS_NAME.fullmatch(name):
                continue
            raise InputError(
                f"--service {s!r}: expected NAMESPACE/DEPLOYMENT or a label selector (app=myapp)"
            )
        try:
            compile_labels(s)
        except ValueError as exc:
            raise InputError(
                f"--service {s!r}: expected NAMESPACE/DEPLOYMENT or a label selector: {exc}"
            ) from None


def managed(cfg: Config, scope: DiagnoseScope) -> tuple[DiagnoseScope, list[str]]:
    """The part of `scope` that `cfg` (expanded by the stacks) has, and what it leaves out (`cluster C`,
    `account A`, `region R`); InputError when it leaves out everything named."""
    have = {
        "cluster": {c.name for c in cfg.clusters},
        "account": {a.name for a in cfg.accounts},
        "region": {r for a in cfg.accounts for r in cfg.regions_of(a)},
    }
    named = {"cluster": scope.clusters, "account": scope.accounts, "region": scope.regions}
    kept = {k: tuple(v for v in values if v in have[k]) for k, values in named.items()}
    left = [f"{k} {v}" for k, values in named.items() for v in values if v not in have[k]]
    if left and not any(kept.values()):  # narrowing to nothing would mean "everything"
        raise InputError(f"diagnose: {cfg.source or 'the config'} has none of {', '.join(left)}: nothing to "
                         "collect (`opsbook diagnose --cluster/--account` names what to collect)")  # fmt: skip
    return DiagnoseScope(kept["cluster"], kept["account"], kept["region"], scope.services), left


def diagnose(cfg: Config, scope: DiagnoseScope, out_dir: Path, *, since: timedelta,
             progress: Progress = lambda _: None, only_managed: bool = False) -> DiagnoseSummary:  # fmt: skip
    """Collect the bundle for `scope` into `out_dir`; see the module's order of work. With `only_managed`
    (an incident's targets, which may name what opsbook does not manage) a cluster, account or region the
    config lacks is left out and noted as not collected, instead of refusing the whole scope."""
    from opsbook.engine.diagnose_aws import collect_account
    from opsbook.engine.diagnose_k8s import collect_cluster
    from opsbook.engine.estate import expand
    from opsbook.engine.k8s_runner import K8sRunner
    from opsbook.engine.runner import AwsRunner
    from opsbook.engine.selection import load_builtin
    from opsbook.engine.targets import aws_targets, k8s_targets
    from opsbook.providers.aws.stats import ApiStats

    if since <= timedelta(0):
        raise InputError("--since: must be positive")
    check_services(scope.services)
    check_out_dir(out_dir)
    load_builtin()
    cfg = expand(cfg)
    scope, unmanaged = managed(cfg, scope) if only_managed else (scope, [])
    clusters = k8s_targets(cfg, list(scope.clusters) or None, list(scope.accounts) or None)
    accounts = list(scope.accounts)
    if not accounts and scope.clusters:
        accounts = sorted({t.account for t in clusters if t.account})
    wants_aws = bool(accounts) or not scope.clusters
    regions = list(scope.regions) or None
    accts = aws_targets(cfg, accounts or None, regions) if wants_aws else []
    if not clusters and not accts:
        raise InputError(
            f"diagnose: nothing to collect for {scope.describe()} (no cluster or account matches)"
        )
    if scope.services and not clusters:
        raise InputError("--service: needs a cluster to look in (--cluster, or `clusters:` in opsbook.yaml)")
    started = datetime.now(UTC)
    bundle = Bundle(progress)
    bundle.failed += [{"target": what, "source": "config", "error": f"{what}: not in {cfg.source or 'the config'}"}
                      for what in unmanaged]  # fmt: skip
    stats = ApiStats()
    k8s = K8sRunner(cfg, stats) if clusters else None
    aws = AwsRunner(cfg, stats) if accts else None
    tasks: list[Any] = [(collect_cluster, (bundle, cfg, k8s, t, list(scope.services), since, started))
                        for t in clusters]  # fmt: skip
    tasks += [(collect_account, (bundle, cfg, aws, t, since, started)) for t in accts]
    progress(f"collecting from {len(clusters)} clusters and {len(accts)} account regions")
    try:
        with ThreadPoolExecutor(max(1, min(cfg.run.concurrency, len(tasks))), "diagnose") as pool:
            for future in [pool.submit(fn, *args) for fn, args in tasks]:
                future.result()
    finally:
        if k8s is not None:
            k8s.close()
    for found in (bundle.headlines, bundle.changes, bundle.failed):
        found.sort(key=lambda row: row["target"])  # targets finish in any order; each one's rows keep theirs
    summary = DiagnoseSummary(out_dir, started, datetime.now(UTC), [t.key for t in [*clusters, *accts]],
                              bundle.headlines, bundle.changes, bundle.failed, len(bundle.items))  # fmt: skip
    write(bundle, out_dir, {"started_at": stamp(started), "finished_at": stamp(summary.finished_at),
                            "scope": scope.describe(), "since": str(since), "targets": summary.targets})  # fmt: skip
    return summary
