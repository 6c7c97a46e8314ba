"""Label selectors matched locally against already-collected pods, so log review needs no second pod
listing. The parsing lives in `opsbook.core.labels` (shared with the sandbox's API server)."""

from __future__ import annotations

from opsbook.core.labels import LabelMatcher, compile_labels

Matcher = LabelMatcher


def compile_selector(selector: str) -> Matcher:
    """A predicate over a labels mapping; raises ValueError for a malformed selector."""
    return compile_labels(selector)
