"""`opsbook incident diagnose ID` (checklist step 5, "Collect logs and diagnostics"): the `opsbook diagnose`
bundle for the incident's targets, looking back to when its impact began, recorded on the incident (a
`diagnose` note naming the bundle and its headlines, on the timeline) with step 5 ticked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from opsbook.core.config import Config
from opsbook.engine import incidents
from opsbook.engine.diagnose import DiagnoseScope, DiagnoseSummary, diagnose
from opsbook.engine.diagnose_bundle import Progress
from opsbook.store import incidents as records
from opsbook.store.db import Store
from opsbook.store.incidents import Incident

COLLECT_STEP = 5
MIN_LOOKBACK = timedelta(hours=1)


def scope_of(incident: Incident) -> DiagnoseScope:
    """The diagnose scope of the incident's target keys (`k8s:C`, `aws:A/R` with `*` for any, `service:NS/D`)."""
    clusters, accounts, regions, services = [], [], [], []
    for key in incident.targets:
        kind, _, rest = key.partition(":")
        if kind == "k8s":
            clusters.append(rest)
        elif kind == "aws":
            account, _, region = rest.partition("/")
            accounts += [account] if account != "*" else []
            regions += [region] if region not in ("*", "") else []
        elif kind == "service":
            services.append(rest)
    unique = lambda xs: tuple(dict.fromkeys(xs))  # noqa: E731
    return DiagnoseScope(unique(clusters), unique(accounts), unique(regions), unique(services))


def diagnose_incident(
    cfg: Config, store: Store, incident_id: str, out_dir: Path, *, since: timedelta | None = None,
    progress: Progress = lambda _: None,
) -> DiagnoseSummary:  # fmt: skip
    """Collect the bundle (by default back to the impact's start, at least an hour) and record it."""
    incident = records.get(store, incident_id=incident_id)
    lookback = since or max(MIN_LOOKBACK, datetime.now(UTC) - incident.started_at)
    summary = diagnose(cfg, scope_of(incident), out_dir, since=lookback, progress=progress, only_managed=True)
    problems = (
        "; ".join(f"{h['target']}: {h['problem']}" for h in summary.headlines[:5]) or "no headline problem"
    )
    failed = f"; {len(summary.failed)} sources not collected" if summary.failed else ""
    incidents.note(store, incident_id, f"diagnostics bundle {out_dir} ({summary.collected} items{failed}): "
                   f"{problems}", kind="diagnose")  # fmt: skip
    incidents.tick(store, incident_id, COLLECT_STEP, done=True, note=str(out_dir))
    return summary
