"""Resolver rules one by one, on small trees written to tmp_path."""

from __future__ import annotations

import pytest

from opsbook.core.errors import InputError, NotFound
from opsbook.providers.atmos.merge import merge
from opsbook.providers.atmos.resolver import Stacks
from opsbook.providers.atmos.template import TemplateError, render


def _vars(root, component="c", stack="dev"):
    return Stacks.load(root).component(component, stack)["vars"]


def test_merge_strategies():
    assert merge({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge({"a": [1, 2]}, {"a": [3]}, "append") == {"a": [1, 2, 3]}
    assert merge({"a": [{"x": 1}, 5]}, {"a": [{"y": 2}, 6, 7]}, "merge") == {"a": [{"x": 1, "y": 2}, 5, 7]}
    assert merge({"a": {"b": 1}}, {"a": "scalar"}) == {"a": "scalar"}  # a different type replaces


def test_imports_relative_extensionless_yml_and_skip_if_missing(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                import:
                  - ./local
                  - ../catalog/up
                  - catalog/yml-file
                  - {path: catalog/missing, skip_if_missing: true}
                vars: {stage: dev}
                components: {terraform: {c: {vars: {own: 1}}}}
            """,
            "stacks/deploy/local.yaml": "vars: {local: 1}\n",
            "stacks/catalog/up.yaml": "vars: {up: 1}\n",
            "stacks/catalog/yml-file.yml": "vars: {yml: 1}\n",
        },
        atmos="""
            components: {terraform: {base_path: components/terraform}}
            stacks: {base_path: stacks, included_paths: ["deploy/dev.yaml"], name_template: "{{ .vars.stage }}"}
        """,
    )
    assert _vars(root) == {"local": 1, "up": 1, "yml": 1, "own": 1, "stage": "dev"}


def test_glob_imports_sorted_last_wins(tree):
    files = {f"stacks/mixins/m{i}.yaml": f"vars: {{who: m{i}, m{i}: true}}\n" for i in (3, 1, 2)}
    files["stacks/deploy/dev.yaml"] = (
        "import: [mixins/*]\nvars: {stage: dev}\ncomponents: {terraform: {c: {}}}\n"
    )
    vars_ = _vars(tree(files))
    assert vars_["who"] == "m3" and vars_["m1"] and vars_["m2"]


def test_precedence_global_terraform_base_component_overrides(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev, level: global, g: 1}
                terraform:
                  vars: {level: terraform, t: 1}
                  overrides:
                    vars: {forced: yes}
                components:
                  terraform:
                    base:
                      metadata: {type: abstract}
                      vars: {level: base, b: 1}
                    c:
                      metadata: {component: base-folder, inherits: [base]}
                      vars: {level: component}
            """
        }
    )
    stacks = Stacks.load(root)
    section = stacks.component("c", "dev")
    assert section["vars"] == {"stage": "dev", "level": "component", "g": 1, "t": 1, "b": 1, "forced": True}
    assert section["component"] == "base-folder" and section["workspace"] == "dev-c"
    assert section["metadata"] == {"component": "base-folder", "inherits": ["base"]}
    assert stacks.component("base", "dev")["workspace"] == "dev"


def test_legacy_component_key_inherits(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                components:
                  terraform:
                    vpc: {vars: {cidr: 10.0.0.0/16, name: vpc}}
                    vpc2: {component: vpc, vars: {name: vpc2}}
            """
        }
    )
    section = Stacks.load(root).component("vpc2", "dev")
    assert section["vars"] == {"stage": "dev", "cidr": "10.0.0.0/16", "name": "vpc2"}
    assert section["component"] == "vpc" and section["inheritance"] == ["vpc"]


def test_component_naming_neither_a_component_nor_a_folder_is_an_error(tree):
    """Atmos refuses `component: X` when X is neither a component of the stack nor a folder."""
    stack = """
        vars: {stage: dev}
        components:
          terraform:
            vpc-2: {component: vcp, vars: {name: vpc2}}
    """
    root = tree({"stacks/deploy/dev.yaml": stack})
    with pytest.raises(InputError) as err:
        Stacks.load(root).component("vpc-2", "dev")
    message = str(err.value)
    assert "dev.yaml:5" in message and "'vcp'" in message and "components/terraform" in message
    (root / "components/terraform/vcp").mkdir(parents=True)
    section = Stacks.load(root).component("vpc-2", "dev")
    assert section["component"] == "vpc-2" and section["workspace"] == "dev"


def test_component_must_be_a_name(tree):
    root = tree(
        {"stacks/deploy/dev.yaml": "vars: {stage: dev}\ncomponents: {terraform: {c: {component: [x]}}}\n"}
    )
    with pytest.raises(InputError, match="'component' of 'c' must be a component name"):
        Stacks.load(root).component("c", "dev")


def test_workspace_overrides_and_slashes(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev, tenant: acme}
                components:
                  terraform:
                    a/b: {metadata: {component: a}}
                    fixed: {metadata: {terraform_workspace: my/ws}}
                    pattern: {metadata: {terraform_workspace_pattern: "{tenant}-{stage}-{component}"}}
            """
        }
    )
    stacks = Stacks.load(root)
    assert stacks.component("a/b", "dev")["workspace"] == "dev-a-b"
    assert stacks.component("fixed", "dev")["workspace"] == "my-ws"
    assert stacks.component("pattern", "dev")["workspace"] == "acme-dev-pattern"


def test_stack_name_precedence(tree):
    atmos = """
        stacks:
          base_path: stacks
          included_paths: ["**/*"]
          name_template: "{{ .vars.tenant }}-{{ .vars.stage }}"
          name_pattern: "{stage}"
    """
    root = tree(
        {
            "stacks/one.yaml": "name: explicit\nvars: {tenant: t, stage: a}\n",
            "stacks/two.yaml": "vars: {tenant: t, stage: b}\n",
        },
        atmos=atmos,
    )
    assert Stacks.load(root).names() == ["explicit", "t-b"]
    root2 = tree(
        {"stacks/one.yaml": "vars: {stage: a}\n", "stacks/two.yaml": "vars: {stage: b}\n"},
        atmos="stacks: {base_path: stacks, name_pattern: '{stage}'}\n",
    )
    assert Stacks.load(root2).names() == ["a", "b"]
    root3 = tree({"stacks/x/one.yaml": "vars: {}\n"}, atmos="stacks: {base_path: stacks}\n")
    assert "x/one" in Stacks.load(root3).names()


def test_yaml_functions(tree, monkeypatch):
    monkeypatch.setenv("OPSBOOK_TEST_VALUE", "from-env")
    monkeypatch.delenv("OPSBOOK_TEST_UNSET", raising=False)
    root = tree(
        {
            "stacks/catalog/base.yaml": "components: {terraform: {c: {vars: {drop: 1, keep: 1, list: [a]}}}}\n",
            "stacks/deploy/dev.yaml": """
                import: [catalog/base]
                vars: {stage: dev}
                components:
                  terraform:
                    c:
                      vars:
                        env: !env OPSBOOK_TEST_VALUE
                        env_default: !env OPSBOOK_TEST_UNSET fallback
                        drop: !unset
                        list: !append [b]
                        included: !include ../data.json
                        included_yaml: !include ./_defaults.yaml
            """,
            "stacks/data.json": '{"k": [1, 2]}',
            "stacks/deploy/_defaults.yaml": "x: 1\n",
        }
    )
    vars_ = _vars(root)
    assert vars_["env"] == "from-env" and vars_["env_default"] == "fallback"
    assert "drop" not in vars_ and vars_["keep"] == 1
    assert vars_["list"] == ["a", "b"]
    assert vars_["included"] == {"k": [1, 2]} and vars_["included_yaml"] == {"x": 1}


@pytest.mark.parametrize("tag", ["!terraform.output vpc id", "!store x y", "!exec echo", "!weird x"])
def test_unsupported_yaml_functions_fail_with_line(tree, tag):
    root = tree({"stacks/deploy/dev.yaml": f"vars:\n  stage: dev\n  x: {tag}\n"})
    with pytest.raises(InputError) as err:
        Stacks.load(root).names()
    assert "dev.yaml:3" in str(err.value) and tag.split()[0] in str(err.value)


def test_templates_render_with_component_context(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                components:
                  terraform:
                    c:
                      settings: {team: core}
                      vars:
                        name: "{{ .vars.stage }}-{{ .settings.team }}-{{ .atmos_component }}"
                        upper: '{{ .vars.stage | upper }}'
            """
        }
    )
    vars_ = _vars(root)
    assert vars_["name"] == "dev-core-c" and vars_["upper"] == "DEV"


def test_template_subset_refuses_the_rest():
    assert render('{{ .a.b | default "x" }}', {"a": {}}) == "x"
    for text, feature in [
        ("{{ range .x }}{{ end }}", "range"),
        ('{{ atmos.Component "a" "b" }}', "atmos.Component"),
    ]:
        with pytest.raises(TemplateError, match=feature):
            render(text, {})


def test_import_template_with_context(tree):
    root = tree(
        {
            "stacks/catalog/tmpl.yaml.tmpl": "components: {terraform: {'{{ .name }}': {vars: {size: '{{ .size }}'}}}}\n",
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                import:
                  - path: catalog/tmpl.yaml.tmpl
                    context: {name: c, size: big}
            """,
        }
    )
    assert _vars(root)["size"] == "big"


def test_unknown_stack_and_component(tree):
    root = tree({"stacks/deploy/dev.yaml": "vars: {stage: dev}\ncomponents: {terraform: {vpc: {}}}\n"})
    stacks = Stacks.load(root)
    with pytest.raises(NotFound, match="invalid stack 'deb'.*did you mean dev"):
        stacks.component("vpc", "deb")
    with pytest.raises(NotFound, match="invalid component 'vcp'.*did you mean vpc"):
        stacks.component("vcp", "dev")


def test_atmos_yaml_env_overrides(tree, monkeypatch):
    root = tree({"stacks/deploy/dev.yaml": "vars: {stage: dev}\ncomponents: {terraform: {c: {}}}\n"})
    monkeypatch.setenv("ATMOS_COMPONENTS_TERRAFORM_COMMAND", "tofu")
    assert Stacks.load(root).component("c", "dev")["command"] == "tofu"
    monkeypatch.setenv("ATMOS_CLI_CONFIG_PATH", str(root))
    assert Stacks.load().names() == ["dev"]


def test_backend_sections(tree):
    root = tree(
        {
            "stacks/deploy/dev.yaml": """
                vars: {stage: dev}
                terraform:
                  backend_type: s3
                  backend:
                    s3: {bucket: state, key: terraform.tfstate}
                components:
                  terraform:
                    eks/blue:
                      metadata: {component: eks}
                      backend: {s3: {key: other.tfstate}}
            """
        }
    )
    section = Stacks.load(root).component("eks/blue", "dev")
    assert section["backend_type"] == "s3"
    assert section["backend"] == {"bucket": "state", "key": "other.tfstate", "workspace_key_prefix": "eks"}
    assert (
        section["remote_state_backend_type"] == "s3" and section["remote_state_backend"]["bucket"] == "state"
    )
