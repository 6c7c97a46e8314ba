"""atmos.stacks_valid: a failing finding per problem (file:line), a passing one per clean stack."""

from __future__ import annotations

from opsbook.collect.atmos.validation import StackProblem, StacksValidation
from opsbook.core.models import Status, Target, TargetKind
from tests.checks.helpers import by_status, run_check

T = Target(kind=TargetKind.ATMOS, stack="stacks")


def test_problems_fail_and_clean_stacks_pass() -> None:
    v = StacksValidation(
        stacks=["mycompany-dev-use1", "mycompany-staging-use1"],
        problems=[
            StackProblem(
                file="stacks/staging/eks.yaml",
                line=7,
                message="component 'eks' in stack 'mycompany-staging-use1': bad",
            )
        ],
    )
    s = by_status(run_check("atmos.stacks_valid", {"atmos.validation": v}, target=T))
    assert [f.resource.id for f in s[Status.FAIL]] == ["stacks/staging/eks.yaml:7"]
    assert s[Status.FAIL][0].details["stacks"] == ["mycompany-staging-use1"]
    assert [f.resource.id for f in s[Status.PASS]] == ["mycompany-dev-use1"]


def test_problem_without_line_names_the_file() -> None:
    v = StacksValidation(stacks=[], problems=[StackProblem(file="atmos.yaml", message="invalid YAML")])
    (f,) = run_check("atmos.stacks_valid", {"atmos.validation": v}, target=T)
    assert f.status is Status.FAIL and f.message == "atmos.yaml: invalid YAML"
