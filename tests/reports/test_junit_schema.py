"""`--format junit` validates against tests/reports/junit.xsd: opsbook's own schema of the JUnit dialect
Jenkins, GitLab and GitHub reporters read (no PyPI package ships one; see the XSD's header)."""

from __future__ import annotations

import pytest

from opsbook.core.models import Severity, Status, Target, TargetKind
from opsbook.reports import formats, model
from tests.reports.sample import finding, run_result
from tests.reports.schemas import junit_schema

SCHEMA = junit_schema()


def report(compared: bool) -> model.Report:
    result = run_result(compared=compared)
    odd = Target(kind=TargetKind.ATMOS, stack="stacks\x00dir")  # a character XML 1.0 cannot carry
    result.outcomes[1].findings.append(
        finding("opsbook.estate", Status.ERROR, Severity.HIGH, odd, None, message="bad \x1b[31m byte")
    )
    return model.build(result, Severity.HIGH)


@pytest.mark.parametrize("compared", [True, False])
def test_junit_validates_against_the_xsd(compared: bool) -> None:
    text = formats.get("junit").render(report(compared))
    errors = [f"{e.path}: {e.reason}" for e in SCHEMA.iter_errors(text)]
    assert not errors, errors
    assert SCHEMA.to_dict(text)["@tests"] == 8


def test_the_xsd_refuses_what_ci_readers_do_not_accept() -> None:
    """The schema is not a rubber stamp: a testcase without a name, two outcomes, a negative count fail."""
    ok = '<testsuites><testsuite name="t" tests="1"><testcase name="c"/></testsuite></testsuites>'
    assert SCHEMA.is_valid(ok)
    for bad in (
        '<testsuites><testsuite name="t" tests="1"><testcase/></testsuite></testsuites>',
        '<testsuites><testsuite name="t" tests="1"><testcase name="c"><failure/><error/></testcase>'
        "</testsuite></testsuites>",
        '<testsuites><testsuite name="t" tests="-1"/></testsuites>',
        '<testsuites><testsuite tests="1"/></testsuites>',
        '<testsuites><testsuite name="t" tests="1" time="soon"/></testsuites>',
        '<testsuites><testsuite name="t" tests="1"><script/></testsuite></testsuites>',
    ):
        assert not SCHEMA.is_valid(bad), bad
