import os

from hypothesis import HealthCheck, settings

# Shared, noisy machines: no per-example deadline; CI runs a few more examples.
settings.register_profile('default', deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile('ci', parent=settings.get_profile('default'), max_examples=150)
settings.load_profile('ci' if os.environ.get('CI') else 'default')
