"""The blue/green switch's selector matching: a Service's key=value selector, empty selects nothing."""

from __future__ import annotations

from opsbook.procedures.k8s_service import matches, text


def test_a_selector_matches_labels_that_carry_every_pair() -> None:
    v2 = {"app": "my-app", "version": "v2", "pod-template-hash": "abc"}
    assert matches({"app": "my-app", "version": "v2"}, v2)
    assert not matches({"app": "my-app", "version": "v1"}, v2)
    assert not matches({"app": "my-app", "tier": "web"}, v2)  # a key the pod lacks
    assert not matches({}, v2)  # no selector: endpoints managed by hand, it selects nothing
    assert text({"version": "v2", "app": "my-app"}) == "app=my-app,version=v2" and text({}) == "(none)"
