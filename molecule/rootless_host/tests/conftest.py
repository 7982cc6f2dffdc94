"""Each test module says which platform it checks; other platforms skip it."""

import pytest


@pytest.fixture(autouse=True)
def _only_on_target(host, request):
    target = getattr(request.module, "TARGET", None)
    if target and host.backend.get_hostname() != target:
        pytest.skip("checks %s only" % target)
