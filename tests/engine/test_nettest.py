"""`opsbook k8s nettest` against the session sandbox's cluster: the probe pod runs (the sandbox runs
netshoot pods' probes from its Services), each probe's exit code and output come back, and the pod is gone
afterwards, also when the wait times out (the failing probes: tests/cli/test_diagnose_cmd.py). Bad targets
never reach the cluster."""

from __future__ import annotations

import pytest

from opsbook.core.config import Config
from opsbook.core.errors import InputError, TargetFailed
from opsbook.engine.nettest import NETTEST_LABEL, NettestRequest, parse_target, run_nettest


def _leftovers(sandbox) -> list[str]:  # type: ignore[no-untyped-def]
    pods = sandbox.kube.store.list("pods", "production")
    return [p["metadata"]["name"] for p in pods if NETTEST_LABEL in (p["metadata"].get("labels") or {})]


def _run(cfg: Config, target: str, **kw: object) -> tuple[object, list[str]]:
    said: list[str] = []
    request = NettestRequest("my-cluster", "production", target, poll_interval=0.05, **kw)  # type: ignore[arg-type]
    return run_nettest(cfg, request, said.append), said


def test_probes_reach_a_service_and_the_pod_is_deleted(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    result, said = _run(sandbox_config, "payments", port=8080, timeout=20)
    by_name = {p.name: p for p in result.probes}  # type: ignore[attr-defined]
    assert [(n, p.exit_code) for n, p in by_name.items()] == [("curl", 0), ("nslookup", 0), ("traceroute", 0)]
    assert by_name["curl"].argv[-1] == "http://payments:8080"
    assert "< HTTP/1.1 200 OK" in by_name["curl"].output
    ip = sandbox.kube.store.get("services", "payments", "production")["spec"]["clusterIP"]
    assert f"Address: {ip}" in by_name["nslookup"].output
    assert result.phase == "Succeeded" and result.ok and result.deleted  # type: ignore[attr-defined]
    assert any("pod Succeeded" in line for line in said)
    assert _leftovers(sandbox) == []


def test_a_pod_that_never_finishes_times_out_and_is_deleted(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    # only netshoot's probes run in the sandbox: another image's pod runs for ever
    with pytest.raises(TargetFailed, match="did not finish within 0.5 s"):
        _run(sandbox_config, "payments", image="busybox:1.36", timeout=0.5)
    assert _leftovers(sandbox) == []


def test_ctrl_c_while_waiting_deletes_the_pod(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    def interrupt(line: str) -> None:
        if line.startswith("  pod ") and not line.endswith("deleted"):  # a phase seen: mid-wait
            raise KeyboardInterrupt

    request = NettestRequest("my-cluster", "production", "payments", image="busybox:1.36", timeout=20)
    with pytest.raises(KeyboardInterrupt):
        run_nettest(sandbox_config, request, interrupt)
    assert _leftovers(sandbox) == []


def test_an_unknown_namespace_is_bad_input(sandbox, sandbox_config: Config) -> None:  # type: ignore[no-untyped-def]
    request = NettestRequest("my-cluster", "no-such-ns", "payments", timeout=5)
    with pytest.raises(InputError, match="--namespace no-such-ns: no such namespace in cluster my-cluster"):
        run_nettest(sandbox_config, request)
    assert not [
        p for p in sandbox.kube.store.list("pods") if NETTEST_LABEL in p["metadata"].get("labels", {})
    ]


@pytest.mark.parametrize(
    "target",
    [
        "-o/etc/passwd",
        "api.example.com; rm -rf /",
        "http://user:pw@api.example.com",
        "ftp://api.example.com",
        "https://api.example.com/$(id)",
        "https://api.example.com/a b",
        "https://api.example.com/{a,b}",
        "a..b",
        "http://[::1",  # urlsplit's ValueError ended `k8s nettest` in internal error (exit 70)
        "https://[api.example.com]/",
    ],
)
def test_targets_that_could_inject_are_refused(target: str) -> None:
    with pytest.raises(InputError, match="TARGET"):
        parse_target(target, None)


def test_target_forms() -> None:
    assert parse_target("api.example.com", None) == ("api.example.com", "https://api.example.com")
    assert parse_target("payments.production", 8080) == (
        "payments.production",
        "http://payments.production:8080",
    )
    assert parse_target("http://my-app/healthz?x=1", 80) == ("my-app", "http://my-app:80/healthz?x=1")
    with pytest.raises(InputError, match="--port 80"):
        parse_target("http://my-app:8080/", 80)
