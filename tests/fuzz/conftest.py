"""Hypothesis profiles for the fuzz suite: `ci` (default, bounded for `make test`) and `deep` (`make fuzz`).

Pick one with OPSBOOK_FUZZ_PROFILE=ci|deep; OPSBOOK_FUZZ_EXAMPLES overrides the number of examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # one example runs the CLI in-process: timing varies on a shared machine
    "database": None,  # leave no .hypothesis folder in the work tree
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,  # a failure prints how to reproduce it (@reproduce_failure)
}
settings.register_profile("ci", max_examples=40, **_COMMON)  # `make test`: ~25 s in all (2 workers)
settings.register_profile("deep", max_examples=2000, **_COMMON)  # `make fuzz`: ~10 min
_profile = os.environ.get("OPSBOOK_FUZZ_PROFILE", "ci")
settings.load_profile(_profile)
if os.environ.get("OPSBOOK_FUZZ_EXAMPLES"):
    settings.register_profile(
        "custom", settings.get_profile(_profile), max_examples=int(os.environ["OPSBOOK_FUZZ_EXAMPLES"])
    )
    settings.load_profile("custom")
