"""Each test module says which platform it checks; other platforms skip it."""

import pytest


@pytest.fixture(autouse=True)
def _only_on_targets(host, request):
    targets = getattr(request.module, "TARGETS", None)
    if targets and host.backend.get_hostname() not in targets:
        pytest.skip("checks %s only" % ", ".join(targets))
