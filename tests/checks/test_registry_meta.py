"""Meta-test over the registry: every check is complete, tested, and fires both ways in the sandbox."""

from __future__ import annotations

from pathlib import Path

from opsbook.core.checks import CHECKS
from opsbook.core.collectors import COLLECTORS, closure
from opsbook.engine.selection import load_builtin

TESTS = Path(__file__).resolve().parents[1]


def test_every_check_has_metadata_and_known_inventory() -> None:
    load_builtin()
    assert len(CHECKS) > 0
    for spec in CHECKS:
        spec.validate()
        for key in spec.needs:
            assert key in COLLECTORS, f"{spec.id} needs {key!r} which no collector provides"
        assert spec.all_permissions(), f"{spec.id}: no permissions, its own or its collectors'"


def test_collectors_declare_a_sound_graph() -> None:
    """Every dependency exists, the graph has no cycle, an account-wide collector reads only account-wide
    keys, and a collector's settings model is the one its check declares."""
    load_builtin()
    for spec in COLLECTORS:
        for dep in spec.deps:
            assert dep in COLLECTORS, f"{spec.key} reads {dep!r} which no collector provides"
            if spec.scope == "account":
                assert COLLECTORS.get(dep).scope == "account", f"{spec.key} (account) reads region {dep}"
        assert spec.key not in {d.key for d in closure(spec.deps)}, f"{spec.key} depends on itself"
        if spec.settings is not None:
            assert CHECKS.get(spec.settings.check_id).settings is spec.settings.model, spec.key


def test_s3_bucket_growth_derives_the_permissions_of_what_it_reads() -> None:
    load_builtin()
    granted = CHECKS.get("s3.bucket_growth").all_permissions()
    assert {"s3:GetBucketTagging", "s3:GetIntelligentTieringConfiguration", "s3:ListAllMyBuckets"} <= set(
        granted
    )


def test_every_check_is_named_in_a_test() -> None:
    load_builtin()
    corpus = "\n".join(
        p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py") if p.name != Path(__file__).name
    )
    missing = [s.id for s in CHECKS if f'"{s.id}"' not in corpus]
    assert not missing, f"checks without a test naming them: {missing}"


def test_typed_keys_match_their_collectors_return_type() -> None:
    """A typed key (`Key[list[EbsVolume]]("ec2.volumes")`) promises checks the type its collector returns."""
    import typing

    from opsbook.collect.aws import keys
    from opsbook.core.collectors import Key

    load_builtin()
    typed = [v for v in vars(keys).values() if isinstance(v, Key)]
    assert len(typed) >= 3
    for key in typed:
        promised = typing.get_args(key.__orig_class__)[0]  # type: ignore[attr-defined]
        spec = COLLECTORS.get(key.name)
        returned = typing.get_type_hints(spec.fn)["return"]
        assert returned == promised, f"{key.name}: collector returns {returned}, key promises {promised}"
