# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Each creates .venv on first use from pinned requirements; torch stays at the
# CPU wheel 2.13.0 because constraints.txt holds it there for every install.

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: demo test lab book release lock system clean mutation

$(STAMP): requirements.lock constraints.txt pyproject.toml vendor/torchvision-shim/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	# d2l's own pins would downgrade numpy/matplotlib/pandas: no deps, and a
	# stand-in for torchvision, which has no CPU build here (README.md)
	$(PIP) --no-deps d2l==1.0.3 ./vendor/torchvision-shim
	$(PIP) --no-deps -e .
	$(BIN)/python -c "import torch, nbgrader, d2l.torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $@

# Debian packages the sandbox and the browser tests use; installed when missing
# and we are root, otherwise a warning (the grader then says what it degrades to)
system:
	@missing=""; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "WARNING: missing$$missing (not root: install them with apt)"; fi; \
	fi

demo: $(STAMP) system
	$(BIN)/python -m grader demo

test: $(STAMP) system
	$(BIN)/python -m pytest

release: $(STAMP)
	$(BIN)/python -m grader release

# Mutation testing of the grading rules (not part of `make test`; CPU-heavy):
# `make mutation MODULES="aspects wire"`; README.md says how to read it
MODULES ?= aspects rules
mutation: $(STAMP)
	$(BIN)/python tools/mutation.py $(MODULES)

# Re-resolve requirements.lock from pyproject.toml (needs the registry)
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet -c constraints.txt -e .
	( echo "# Full pinned environment, made by \`make lock\` from pyproject.toml's dependencies."; \
	  echo "# torch is held at 2.13.0 (CPU wheel) by constraints.txt."; \
	  /tmp/lock-venv/bin/pip freeze --exclude-editable | sed 's/^torch==.*/torch==2.13.0/' ) > requirements.lock

clean:
	rm -rf build

-include mk/*.mk
