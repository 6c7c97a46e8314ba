"""deploy/Dockerfile read statically (no Docker daemon is needed): two stages, pinned base images, a numeric
non-root user that matches the manifests, COPY sources that exist and are not ignored, extras pyproject has."""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from dataclasses import dataclass, field

from tests.deploy.manifests import DEPLOY, ROOT, objects, pod_specs

DOCKERFILE = DEPLOY / "Dockerfile"
IGNORE = DEPLOY / "Dockerfile.dockerignore"


@dataclass
class Stage:
    image: str
    name: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in joined.splitlines()]
    return [(w.split(None, 1)[0].upper(), w.split(None, 1)[1]) for w in lines if w and not w.startswith("#")]


def stages() -> tuple[dict[str, str], list[Stage]]:
    """The global ARG defaults and the stages, with `${ARG}` in FROM resolved as Docker does."""
    args: dict[str, str] = {}
    found: list[Stage] = []
    for op, rest in instructions():
        if op == "FROM":
            image, *alias = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
            found.append(Stage(image, alias[-1] if alias else str(len(found))))
        elif op == "ARG" and not found:
            name, _, default = rest.partition("=")
            args[name] = default
        elif found:
            found[-1].steps.append((op, rest))
    return args, found


def _one(stage: Stage, op: str) -> str:
    (value,) = [rest for o, rest in stage.steps if o == op]
    return value


def test_multi_stage_with_pinned_bases() -> None:
    _, built = stages()
    assert [s.name for s in built] == ["build", "runtime"]
    for s in built:
        repo, _, tag = s.image.partition(":")
        assert repo and tag and tag != "latest" and re.search(r"\d+\.\d+\.\d+", tag), s.image
    runtime = built[-1]
    copies = [rest for op, rest in runtime.steps if op == "COPY"]
    assert copies == ["--from=build /opt/opsbook /opt/opsbook"]  # only the venv reaches the runtime image


def test_runtime_user_is_numeric_non_root_and_matches_the_pods() -> None:
    runtime = stages()[1][-1]
    uid, _, gid = _one(runtime, "USER").partition(":")
    assert uid.isdigit() and gid.isdigit() and int(uid) > 0 and int(gid) > 0
    workdir = _one(runtime, "WORKDIR")
    for overlay in ("service", "cronjob", "temporal"):
        for name, spec in pod_specs(objects(overlay)):
            ctx = spec["securityContext"]
            assert (ctx["runAsUser"], ctx["runAsGroup"]) == (int(uid), int(gid)), name
            assert spec["containers"][0]["workingDir"] == workdir, name
    assert shlex.split(_one(runtime, "ENTRYPOINT").strip("[]").replace(",", " ")) == ["opsbook"]


def _ignored(path: str) -> bool:
    """Whether the dockerignore (its patterns in order, `!` re-including) leaves `path` out of the context."""
    out = False
    for line in IGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            out = not negate
    return out


def test_copy_sources_exist_and_are_in_the_context() -> None:
    for s in stages()[1]:
        for op, rest in s.steps:
            if op != "COPY" or rest.startswith("--from"):
                continue
            *sources, _dest = rest.split()
            for src in sources:
                assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
                assert not _ignored(src), f"COPY {src}: excluded by {IGNORE.name}"
    assert _ignored(".venv") and _ignored("tests") and not _ignored("src/opsbook/__init__.py")


def test_extras_exist_in_pyproject() -> None:
    build = stages()[1][0]
    (extras,) = [
        rest.partition("=")[2]
        for op, rest in build.steps
        if op == "ARG" and rest.startswith("OPSBOOK_EXTRAS=")
    ]
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras and set(extras.split(",")) <= set(declared) - {"dev", "bench", "sandbox"}, extras
    run = " ".join(rest for op, rest in build.steps if op == "RUN")
    assert "[${OPSBOOK_EXTRAS}]" in run and "pip wheel --no-deps" in run
