# Every target builds .venv on first use and reinstalls when pyproject.toml changes:
# a fresh machine needs only Python 3, make and the package registries.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet
READY  := $(VENV)/.ready

.PHONY: test test-torch lint demo lessons bench generate dist clean

# No PyTorch here: on a Python without a CPU wheel at hand, pip would fetch a multi-gigabyte CUDA build
$(READY): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[test,demo]'
	@touch $@

# Everything; the comparisons with PyTorch run too when torch is installed in .venv (make test-torch does it)
test: lint
	$(PY) -m pytest

# The comparisons with PyTorch, a test reference only: installs torch 2.13.0 (here a CPU wheel pip finds on this
# machine; elsewhere set TORCH_INDEX to PyTorch's CPU-only wheel index to avoid a multi-gigabyte CUDA build),
# then runs the test files that use it
TORCH_INDEX ?=
test-torch: $(READY)
	$(PIP) install 'torch==2.13.0' $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(PY) -m pytest $$(grep -l torch tests/test_*.py)

# An sdist and a wheel in dist/, to install where the package index has no micrograd_plus yet:
# pip install dist/micrograd_plus-0.1.0-py3-none-any.whl
dist: $(READY)
	rm -rf dist
	$(PY) -m build --outdir dist .

# Style is part of the tests: lint, types, and the generated op code in step with ops.py
lint: $(READY)
	$(PY) -m ruff check micrograd_plus tests demos
	$(PY) -m mypy
	$(PY) micrograd_plus/codegen.py --check

# After editing the derivative table (micrograd_plus/ops.py): rewrite the op code in engine.py
generate:
	$(PYTHON) micrograd_plus/codegen.py

demo: $(READY)
	$(PY) demos/demo.py

# One lesson per course topic (demos/lessons/): each prints and checks its claim, draws its picture into
# demos/output/lessons/; then the README's thumbnails (demos/lessons/pictures/) are made from the pictures
lessons: $(READY)
	$(PY) demos/run_lessons.py

bench: $(READY)
	$(PIP) install 'micrograd==0.1.0'
	$(PY) demos/benchmark.py
	$(PY) demos/playground_benchmark.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis demos/output
