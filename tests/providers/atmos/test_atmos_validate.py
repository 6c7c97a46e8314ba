"""`validate_stacks`: each bad input is one Problem with file:line; the manifest schema agrees with Atmos's."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from opsbook.providers.atmos.schema.build import manifest_schema
from opsbook.providers.atmos.validate import Problem, validate_stacks
from opsbook.providers.atmos.yamlload import load_manifest, load_text

GOOD = """
    vars: {stage: dev}
    import: [catalog/vpc]
    components:
      terraform:
        vpc:
          vars: {cidr: 10.0.0.0/16}
"""
CATALOG = """
    components:
      terraform:
        vpc:
          metadata: {component: vpc}
          vars: {name: vpc}
"""


def _one(problems: list[Problem], needle: str) -> Problem:
    hits = [p for p in problems if needle in p.message]
    assert hits, f"no problem mentions {needle!r}: {[str(p) for p in problems]}"
    return hits[0]


def test_valid_tree_has_no_problems(tree):
    root = tree({"stacks/deploy/dev.yaml": GOOD, "stacks/catalog/vpc.yaml": CATALOG})
    assert validate_stacks(root) == []


def test_malformed_yaml(tree):
    root = tree(
        {"stacks/deploy/dev.yaml": "vars:\n  stage: dev\n bad: [\n", "stacks/catalog/vpc.yaml": CATALOG}
    )
    problem = _one(validate_stacks(root), "invalid YAML")
    assert problem.file.endswith("deploy/dev.yaml") and problem.line


def test_missing_import(tree):
    root = tree({"stacks/deploy/dev.yaml": GOOD})
    problem = _one(validate_stacks(root), "import 'catalog/vpc' not found")
    assert problem.file.endswith("deploy/dev.yaml") and problem.line == 3


def test_import_cycle(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": "vars: {stage: dev}\nimport: [catalog/a]\n",
            "stacks/catalog/a.yaml": "import: [catalog/b]\n",
            "stacks/catalog/b.yaml": "import: [catalog/a]\n",
        }
    )
    problem = _one(validate_stacks(root), "import cycle")
    assert "catalog/a -> catalog/b -> catalog/a" in problem.message
    assert problem.file.endswith("catalog/b.yaml") and problem.line == 1


def test_inheritance_cycle(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                components:
                  terraform:
                    a: {metadata: {inherits: [b]}}
                    b: {metadata: {inherits: [a]}}
            """
        }
    )
    problem = _one(validate_stacks(root), "inheritance cycle")
    assert problem.file.endswith("deploy/dev.yaml") and problem.line in (5, 6)


def test_unknown_base_component(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": "vars: {stage: dev}\ncomponents:\n  terraform:\n    a:\n      metadata: {inherits: [nope]}\n"
        }
    )
    problem = _one(validate_stacks(root), "inherits from 'nope'")
    assert problem.line == 4


def test_template_with_missing_var(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                components:
                  terraform:
                    a:
                      vars:
                        name: "{{ .vars.namespace }}-a"
            """
        }
    )
    problem = _one(validate_stacks(root), "missing value .vars.namespace")
    assert problem.file.endswith("deploy/dev.yaml") and problem.line == 7


def test_name_template_with_missing_var(tree):
    root = tree({"stacks/deploy/dev.yaml": "vars: {tenant: x}\n"})
    problem = _one(validate_stacks(root), "stack name template")
    assert "missing value .vars.stage" in problem.message and problem.file.endswith("dev.yaml")


def test_same_component_defined_twice_differently(tree):
    root = tree(
        {
            "stacks/deploy/a.yaml": "vars: {stage: dev}\ncomponents: {terraform: {vpc: {vars: {x: 1}}}}\n",
            "stacks/deploy/b.yaml": "vars: {stage: dev}\ncomponents: {terraform: {vpc: {vars: {x: 2}}}}\n",
        }
    )
    problem = _one(validate_stacks(root), "also defined by deploy/a")
    assert problem.file.endswith("deploy/b.yaml")


def test_schema_violation_has_line(tree):
    root = tree(
        {"stacks/deploy/dev.yaml": "vars: {stage: dev}\ncomponents:\n  terraform:\n    a:\n      varz: {}\n"}
    )
    problem = _one(validate_stacks(root), "stack manifest schema")
    assert problem.line == 4 and "varz" in problem.message


def test_a_key_that_is_not_a_string_is_a_problem_not_a_crash(tree):
    text = "vars: {stage: dev}\ncomponents:\n  terraform:\n    1: {}\n    vpc:\n      vars: {true: x}\n"
    problems = validate_stacks(tree({"stacks/deploy/dev.yaml": text}))
    assert _one(problems, "key 1 is not a string").line == 4
    assert _one(problems, "key True is not a string").line == 6


def test_settings_validation_json_schema(tree):
    schema = {"type": "object", "properties": {"vars": {"type": "object", "required": ["cidr"]}}}
    files = {
        "stacks/deploy/dev.yaml": """
            vars: {stage: dev}
            components:
              terraform:
                vpc:
                  settings:
                    validation:
                      check-vpc:
                        schema_type: jsonschema
                        schema_path: vpc.json
                  vars: {name: x}
        """,
        "stacks/schemas/jsonschema/vpc.json": json.dumps(schema),
    }
    problem = _one(validate_stacks(tree(files)), "'cidr' is a required property")
    assert "check-vpc" in problem.message and problem.line == 5


def test_opa_validation_is_reported_unsupported(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                components:
                  terraform:
                    vpc:
                      settings: {validation: {p: {schema_type: opa, schema_path: x.rego}}}
            """
        }
    )
    _one(validate_stacks(root), "schema_type opa")


def test_missing_atmos_yaml(tmp_path, monkeypatch):
    monkeypatch.delenv("ATMOS_CLI_CONFIG_PATH", raising=False)
    problems = validate_stacks(tmp_path)
    assert len(problems) == 1 and "no atmos.yaml found" in problems[0].message


# ---- the manifest schema agrees with Atmos's own (read in place, never shipped) -----------------------

ATMOS_SCHEMA = "pkg/datafetcher/schema/atmos/manifest/1.0.json"
BAD = [
    "import: 5\n",
    "components:\n  terraform:\n    a:\n      varz: {}\n",
    "components:\n  terraform:\n    a:\n      metadata: {type: bogus}\n",
    "vars: [1, 2]\n",
    "terraform:\n  backend_type: floppy\n",
    "components:\n  terraform:\n    a:\n      metadata: {inherits: b}\n",
    "overrides:\n  colour: {}\n",
    "import:\n  - {skip_if_missing: true}\n",
    "components:\n  terraform:\n    a:\n      metadata: {enabled: 'yes'}\n",
]
GOOD_EXTRA = [
    "import:\n  - path: catalog/x\n    context: {a: 1}\n    skip_if_missing: true\n",
    "terraform:\n  backend_type: s3\n  backend:\n    s3: {bucket: b}\n  overrides:\n    vars: {a: 1}\n",
    "components:\n  terraform:\n    a:\n      metadata: {type: abstract, inherits: [b], locked: true}\n"
    "      vars: !include ../x.yaml\n",
]


@pytest.fixture
def atmos_validator(conformance):
    path = conformance / ATMOS_SCHEMA
    if not path.is_file():
        pytest.skip(f"Atmos's manifest schema is not at {path}")
    return jsonschema.Draft202012Validator(json.loads(path.read_text()))


def _verdicts(atmos_validator, data):
    ours = jsonschema.Draft202012Validator(manifest_schema())
    return atmos_validator.is_valid(data), ours.is_valid(data)


def test_schema_agrees_on_every_fixture_manifest(conformance, atmos_validator):
    manifests = sorted(p for p in conformance.rglob("stacks/**/*.yaml"))
    assert manifests
    for path in manifests:
        data = load_manifest(path, raw_tags=True).data
        theirs, ours = _verdicts(atmos_validator, data)
        assert theirs == ours, f"{path}: Atmos says valid={theirs}, opsbook says valid={ours}"


@pytest.mark.parametrize("text", BAD + GOOD_EXTRA)
def test_schema_agrees_on_hand_written_cases(atmos_validator, text):
    data = load_text(text, Path("case.yaml"), raw_tags=True).data
    theirs, ours = _verdicts(atmos_validator, data)
    assert theirs == ours
    assert ours == (text in GOOD_EXTRA)
