# Set-up is automatic: every target that needs them creates .venv and node_modules.
# Python >= 3.11, Node.js (any; Node 22 for jsii comes from package.json) and make are all you need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup synth test bench clean

setup: $(VENV_STAMP) $(NODE_STAMP)

$(VENV_STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## synth: synthesize the four stacks of $$PPM_CONFIG (default config/reference.yaml) to cdktf.out/ (or $$CDKTF_OUTDIR)
synth: setup
	$(PY) main.py

## test: the whole test suite (synth of both configs, policy, validation)
test: setup
	$(PY) -m pytest

clean:
	rm -rf cdktf.out .pytest_cache
