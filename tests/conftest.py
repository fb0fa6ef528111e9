import os

import pytest
from hypothesis import HealthCheck, settings

from micrograd_plus.viz.render import available_renderer

# Shared, noisy machines: no per-example deadline; CI runs a few more examples.
settings.register_profile('default', deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile('ci', parent=settings.get_profile('default'), max_examples=150)
settings.load_profile('ci' if os.environ.get('CI') else 'default')


# Pictures need graphviz-pure, which micrograd_plus installs on every platform it has wheels for, or Graphviz's
# `dot`: there these never skip, so a broken install fails the tests.
@pytest.fixture
def renderer():
    """For a test that draws a picture."""
    if available_renderer() is None:
        pytest.skip('nothing renders here: graphviz-pure is not installed (no wheel for this platform?) and '
                    "Graphviz's `dot` is not on PATH. Install Graphviz (apt install graphviz) to run this test")
