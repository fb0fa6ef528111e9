# Every target builds .venv on first use and reinstalls when pyproject.toml changes:
# a fresh machine needs only Python 3, make and the package registries.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet
READY  := $(VENV)/.ready

.PHONY: test lint demo lessons bench generate clean

$(READY): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e '.[test,demo]'
	@# PyTorch is a test reference only: use the CPU build when this machine offers it, else skip those tests
	@$(PIP) install 'torch==2.13.0' 2>/dev/null \
	  && echo "torch 2.13.0 installed: gradients are also checked against PyTorch" \
	  || echo "torch not available here: the PyTorch comparisons will be skipped"
	@touch $@

test: lint
	$(PY) -m pytest

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
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis demos/output
