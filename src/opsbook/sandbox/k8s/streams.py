"""`pods/<name>/exec` and `pods/<name>/attach` over WebSocket, as kubectl 1.32 speaks them.

kubectl (client-go's WebSocket executor, default since 1.30) sends `GET .../exec?command=..&stdin=true
&stdout=true&stderr=true[&tty=true]` with `Upgrade: websocket` and `Sec-WebSocket-Protocol:
v5.channel.k8s.io`; it falls back to SPDY only when the upgrade fails. Every binary message starts with
a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the error channel (one `Status`: Success, or Failure with
reason NonZeroExitCode and the exit code as an `ExitCode` cause), 4 terminal resizes; in v5, `255 0`
closes stdin. The session ends with the status and a normal close.

What runs is `shell.FakeShell`: exec runs the command (a shell reads stdin, or its `-c` string); attach
talks to the container's own process, and when a shell there exits the container ends as a kubelet would
report it (`controllers/kubelet.container_exited`), so `kubectl run -it --rm` sees the pod complete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsbook.sandbox.k8s import errors
from opsbook.sandbox.k8s.controllers.kubelet import container_exited
from opsbook.sandbox.k8s.shell import SHELLS, FakeShell, Result
from opsbook.sandbox.k8s.store import ClusterStore
from opsbook.sandbox.k8s.websocket import Closed, Connection

Obj = dict[str, Any]
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def choose_container(pod: Obj, given: str | None) -> str:
    """The container a request means: the one named, the default-container annotation, or the only one."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers", [])]
    if not given:
        default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        if default in names:
            return str(default)
        if len(names) == 1:
            return names[0]
        raise errors.bad_request(
            f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
        )
    if given not in names + [c["name"] for c in spec.get("initContainers", [])]:
        raise errors.bad_request(f"container {given} is not valid for pod {name}")
    return given


@dataclass
class StreamRequest:
    kind: str  # exec | attach
    pod: Obj
    container: str
    argv: list[str]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool
    protocol: str


def check(kind: str, pod: Obj, query: Mapping[str, list[str]]) -> tuple[str, list[str]]:
    """The container and command a request means; 400 when the container is not running (as a real
    server answers before any upgrade, so SPDY requests get the same refusal)."""
    container = choose_container(pod, (query.get("container") or [""])[0])
    statuses = {s["name"]: s for s in (pod.get("status") or {}).get("containerStatuses") or []}
    if "running" not in (statuses.get(container, {}).get("state") or {}):
        raise errors.bad_request(f'container not found ("{container}")')
    spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
    argv = (
        list(query.get("command") or [])
        if kind == "exec"
        else [*spec.get("command", []), *spec.get("args", [])]
    )
    if kind == "exec" and not argv:
        raise errors.bad_request("you must specify at least 1 command")
    return container, argv


def prepare(kind: str, pod: Obj, query: Mapping[str, list[str]], headers: Mapping[str, str]) -> StreamRequest:
    """Check a WebSocket upgrade request before answering 101 (a refusal is an ordinary error response)."""
    offered = [p.strip() for p in (headers.get("sec-websocket-protocol") or "").split(",")]
    protocol = next((p for p in PROTOCOLS if p in offered), None)
    if protocol is None:
        raise errors.bad_request(
            f"none of the offered subprotocols is supported: want one of {list(PROTOCOLS)}"
        )
    container, argv = check(kind, pod, query)

    def flag(name: str) -> bool:
        return (query.get(name) or [""])[0] in ("1", "true")

    return StreamRequest(
        kind, pod, container, argv, flag("stdin"), flag("stdout"), flag("stderr"), flag("tty"), protocol
    )


def serve(request: StreamRequest, conn: Connection, store: ClusterStore) -> None:
    """Run the session on an upgraded connection until the program ends or the client goes."""
    program = request.argv[0].rsplit("/", 1)[-1] if request.argv else ""
    shell = FakeShell(store, request.pod, request.container, program if program in SHELLS else "bash")
    status: int | None = None
    try:
        if program in SHELLS and "-c" in request.argv[1:-1]:
            status = _emit(conn, request, shell.line(request.argv[request.argv.index("-c") + 1])).status
        elif program in SHELLS:
            status = _read_loop(conn, request, shell) if request.stdin else 0
        elif request.kind == "exec":
            status = _emit(conn, request, shell.run(request.argv)).status
        else:  # attached to a program that is not a shell: it prints nothing until the client leaves
            _read_loop(conn, request, None)
        _finish(conn, request, status)
    except Closed:
        pass
    if request.kind == "attach" and status is not None:
        container_exited(store, request.pod, request.container, status)


def _emit(conn: Connection, request: StreamRequest, result: Result) -> Result:
    if result.stdout and request.stdout:
        conn.send(bytes([STDOUT]) + result.stdout.encode())
    if result.stderr:
        if request.stderr and not request.tty:
            conn.send(bytes([STDERR]) + result.stderr.encode())
        elif request.tty and request.stdout:  # a terminal has one output stream
            conn.send(bytes([STDOUT]) + result.stderr.encode())
    return result


def _read_loop(conn: Connection, request: StreamRequest, shell: FakeShell | None) -> int:
    """Feed stdin to the shell a line at a time; ends on `exit`, when stdin closes, or the client goes."""
    pending = b""
    while True:
        message = conn.receive()
        if not message:
            continue
        channel, data = message[0], message[1:]
        if channel == CLOSE and data[:1] == bytes([STDIN]) or (channel == STDIN and request.protocol != PROTOCOLS[0]
                                                            and not data):  # fmt: skip
            if shell is None:
                return 0
            if pending.strip():
                _emit(conn, request, shell.line(pending.decode(errors="replace")))
            return shell.status
        if channel != STDIN or shell is None:
            continue  # resizes, or input to a program that reads none
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            result = _emit(conn, request, shell.line(line.decode(errors="replace")))
            if result.exited:
                return result.status


def _finish(conn: Connection, request: StreamRequest, status: int | None) -> None:
    body: Obj = {"metadata": {}, "status": "Success"}
    if status and request.kind == "exec":
        body = {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command "
            f"[{' '.join(request.argv)}], exit code {status}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(status)}]},
        }
    conn.send(bytes([ERROR]) + json.dumps(body).encode())
    conn.close()
