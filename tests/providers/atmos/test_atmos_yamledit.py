"""The one-scalar YAML edit behind `stack-set`: only the value's characters change (comments, quoting, key
order and blank lines stay), missing keys are inserted in the right block, and what cannot be edited
safely is refused with file:line."""

from __future__ import annotations

import textwrap

import pytest

from opsbook.providers.atmos.yamledit import EditError, set_value

MANIFEST = textwrap.dedent(
    """\
    # Stack manifest, hand-written.
    import:
      - catalog/eks   # the shared defaults

    components:
      terraform:
        eks:
          vars:
            # pinned by hand
            kubernetes_version: "1.32"   # major.minor
            owner: 'platform'
            name: plain-name
            node_groups:
              application:
                desired_size: 4  # was 3
                max_size: 10

          settings:
            team: core
    """
)


def lines_changed(old: str, new: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(old.splitlines(), new.splitlines(), strict=True) if a != b]


def test_number_changes_in_place_and_keeps_its_comment():
    keys = ("components", "terraform", "eks", "vars", "node_groups", "application", "desired_size")
    new = set_value(MANIFEST, keys, 6)
    assert lines_changed(MANIFEST, new) == [
        ("            desired_size: 4  # was 3", "            desired_size: 6  # was 3")
    ]


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        ("kubernetes_version", "1.33", '        kubernetes_version: "1.33"   # major.minor'),
        ("owner", "it's ops", "        owner: 'it''s ops'"),
        ("name", "other-name", "        name: other-name"),
        ("name", "true", '        name: "true"'),  # a plain `true` would read back as a boolean
        ("name", "a: b", '        name: "a: b"'),
    ],
)
def test_strings_keep_their_quoting(key, value, line):
    new = set_value(MANIFEST, ("components", "terraform", "eks", "vars", key), value)
    changed = lines_changed(MANIFEST, new)
    assert len(changed) == 1 and changed[0][1] == line


def test_missing_keys_are_inserted_at_the_end_of_their_block():
    keys = ("components", "terraform", "eks", "vars", "node_groups", "system", "min_size")
    new = set_value(MANIFEST, keys, 2)
    added = new.replace(MANIFEST.split("\n\n      settings")[0], "").split("\n\n      settings")[0]
    assert added == "\n          system:\n            min_size: 2"  # beside application, nested one step in
    assert new.count("\n") == MANIFEST.count("\n") + 2
    assert "# pinned by hand" in new and "# the shared defaults" in new


def test_insert_under_an_empty_key_and_a_whole_new_section():
    assert set_value("x:\n  y:\n# end\n", ("x", "y", "z"), 2) == "x:\n  y:\n    z: 2\n# end\n"
    text = "import:\n  - catalog/eks\n"
    assert set_value(text, ("components", "terraform", "eks", "vars", "size"), 3) == (
        "import:\n  - catalog/eks\ncomponents:\n  terraform:\n    eks:\n      vars:\n        size: 3\n"
    )


def test_four_space_files_get_four_space_inserts():
    text = "vars:\n    tags:\n        a: 1\n"
    assert (
        set_value(text, ("vars", "other", "b"), 2)
        == "vars:\n    tags:\n        a: 1\n    other:\n        b: 2\n"
    )


def test_flow_mappings_change_in_place_but_refuse_new_keys():
    text = "vars: {size: 1, name: x}  # flow\n"
    assert set_value(text, ("vars", "name"), "y, z") == 'vars: {size: 1, name: "y, z"}  # flow\n'
    with pytest.raises(EditError, match=r"<yaml>:1: .*flow mapping"):
        set_value(text, ("vars", "other"), 1)


def test_multi_document_files_edit_only_the_chosen_document():
    text = "a: 1  # first\n---\na: 1  # second\n"
    assert set_value(text, ("a",), 2, doc=1) == "a: 1  # first\n---\na: 2  # second\n"
    assert set_value(text, ("a",), 2) == "a: 2  # first\n---\na: 1  # second\n"
    with pytest.raises(EditError, match="no YAML document 3"):
        set_value(text, ("a",), 2, doc=2)


@pytest.mark.parametrize(
    ("text", "keys", "why"),
    [
        ("a: !env SIZE\n", ("a",), r"f\.yaml:1: 'a' is set by the YAML function !env"),
        ("a: !include x.yaml\n", ("a", "b"), r"f\.yaml:1: 'a' is set by the YAML function !include"),
        ("a: &s 1\nb: *s\n", ("a",), r"f\.yaml:1: 'a' is an anchor or alias"),
        ("base: &b {s: 1}\nc: *b\n", ("c", "s"), r"f\.yaml:1: 'c' is an anchor or alias"),
        ("a: |\n  text\n", ("a",), r"f\.yaml:1: the value spans several lines"),
        ("a:\n  <<: {s: 1}\n  t: 2\n", ("a", "t"), r"f\.yaml:2: the mapping uses a merge key"),
        ("a: [1, 2]\n", ("a",), r"f\.yaml:1: a holds a list"),
        ("a:\n  b: 1\n", ("a",), r"f\.yaml:2: a holds a mapping"),
        ("a: 1\n", ("a", "b"), r"f\.yaml:1: a is not a mapping"),
    ],
)
def test_unsafe_edits_are_refused_with_file_and_line(text, keys, why):
    with pytest.raises(EditError, match=why):
        set_value(text, keys, 5, where="f.yaml")


def test_only_single_values_can_be_set():
    with pytest.raises(EditError, match="only a single value"):
        set_value("a: 1\n", ("a",), [1, 2])
