"""Which component instances drift detection plans, and in what order (settings.depends_on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsbook.core.errors import InputError, NotFound
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.terraform.drift import instances, waves
from opsbook.sandbox.stacks import sandbox_stacks_dir


def test_the_sandbox_plans_vpc_before_what_depends_on_it_and_skips_abstract_components() -> None:
    found = instances(Stacks.load(sandbox_stacks_dir()), ["mycompany-dev-use1", "mycompany-staging-use1"])
    keys = [i.key for i in found]
    assert "mycompany-dev-use1/dns" in keys and not any("defaults" in k for k in keys)
    levels = [[i.key for i in level] for level in waves(found)]
    first = ("/vpc", "/opsbook-access")  # depend on nothing
    assert sorted(levels[0]) == [f"mycompany-{s}-use1{c}" for s in ("dev", "staging") for c in sorted(first)]
    assert sorted(levels[1]) == sorted(k for k in keys if not k.endswith(first))
    dns = next(i for i in found if i.component == "dns")
    assert dns.file == "stacks/orgs/mycompany/dev/use1/dns.yaml"


def test_unknown_selections_and_cycles_are_refused(tmp_path: Path) -> None:
    stacks = Stacks.load(sandbox_stacks_dir())
    with pytest.raises(NotFound, match="did you mean mycompany-dev-use1"):
        instances(stacks, ["mycompany-dev-use2"])
    with pytest.raises(InputError, match="--component ekss: no stack defines it"):
        instances(stacks, [], ["ekss"])
    found = instances(stacks, ["mycompany-dev-use1"], ["vpc", "eks"])
    vpc, eks = sorted(found, key=lambda i: i.component != "vpc")
    looped = [vpc.__class__(**{**vpc.__dict__, "depends_on": (("eks", ()),)}), eks]
    with pytest.raises(InputError, match="cycle among mycompany-dev-use1/eks, mycompany-dev-use1/vpc"):
        waves(looped)
