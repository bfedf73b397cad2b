# Set-up is automatic: every target that needs them creates .venv and node_modules.
# Python >= 3.11, Node.js (any; Node 22 for jsii comes from package.json) and make are all you need.
SHELL := /bin/bash
PYTHON ?= python3
# The CDK toolchain (docs/toolchains.md): cdktf 0.21 + azurerm 4.55 (the default) or cdktn
# (CDK Terrain 0.24 + azurerm 5.10), each in its own virtual environment with its own exact pins.
# An exported PPM_TOOLCHAIN (what Python reads) counts as the choice too.
TOOLCHAIN ?= $(or $(PPM_TOOLCHAIN),cdktf)
ifeq ($(TOOLCHAIN),cdktf)
VENV := .venv
REQUIREMENTS := requirements.txt
OTHER_VENV := .venv-cdktn
OTHER_REQUIREMENTS := requirements-cdktn.txt
else ifeq ($(TOOLCHAIN),cdktn)
VENV := .venv-cdktn
REQUIREMENTS := requirements-cdktn.txt
OTHER_VENV := .venv
OTHER_REQUIREMENTS := requirements.txt
else
$(error TOOLCHAIN=$(TOOLCHAIN) is not a toolchain: use cdktf (the default) or cdktn)
endif
# Python reads the same choice (constructs_lib/toolchain.py).
export PPM_TOOLCHAIN := $(TOOLCHAIN)
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The other toolchain's venv, from its requirements file: make test synthesizes both configs on it too.
OTHER_STAMP := $(OTHER_VENV)/.installed-runtime
NODE_STAMP := node_modules/.installed
# No HashiCorp version-check calls from the cdktf CLI or Terraform (offline machines, CI).
export CHECKPOINT_DISABLE := 1

.PHONY: setup synth test bench clean bootstrap plan deploy docs help

## help: list the targets (a `## name: text` line per target; a further `## ` line continues it, indented)
help:
	@awk '/^## [A-Za-z0-9_-]+:/ { sub(/^## /, "  "); print; next } /^## / { sub(/^## /, "      "); print }' $(firstword $(MAKEFILE_LIST))


## setup: the virtual environment of TOOLCHAIN (cdktf: .venv, cdktn: .venv-cdktn) and node_modules
setup: $(VENV_STAMP) $(NODE_STAMP)

PYTHON_CHECK = @$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python >= 3.11 is needed, $(PYTHON) is " + sys.version.split()[0] + "; run make PYTHON=python3.11 ...")'
PIP_INSTALL = -m pip install --quiet --disable-pip-version-check

# requirements.txt installs the test tools too (requirements-dev.txt); requirements-cdktn.txt does not.
$(VENV_STAMP): $(REQUIREMENTS) requirements-common.txt $(if $(filter cdktf,$(TOOLCHAIN)),requirements-dev.txt)
	$(PYTHON_CHECK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r $(REQUIREMENTS)
	@touch $@

$(DEV_STAMP): $(VENV_STAMP) requirements-dev.txt
	$(PY) $(PIP_INSTALL) -r requirements-dev.txt
	@touch $@

$(OTHER_STAMP): $(OTHER_REQUIREMENTS) requirements-common.txt
	$(PYTHON_CHECK)
	@test -x $(OTHER_VENV)/bin/python || $(PYTHON) -m venv $(OTHER_VENV)
	$(OTHER_VENV)/bin/python $(PIP_INSTALL) -r $(OTHER_REQUIREMENTS)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## synth: synthesize the four stacks of $PPM_CONFIG (default config/reference.yaml) to cdktf.out/ (or $CDKTF_OUTDIR)
synth: setup
	$(PY) main.py

## bootstrap: create the remote state (RG, storage account, container) once; needs terraform and `az login`
## (AUTO_APPROVE=1 skips the prompt). See docs/delivery.md.
bootstrap: setup
	$(PY) scripts/delivery.py bootstrap

## plan: synth, then terraform init/plan/show -json per stack into plans/, then the plan guard (plans/summary.md);
## a stack starts when those it depends on are done, up to PARALLELISM (4) at once; STACKS="network data": only those
plan: setup
	$(PY) scripts/delivery.py plan $(if $(strip $(STACKS)),--stacks "$(strip $(STACKS))")

## deploy: per stack after those it depends on: plan, plan guard, apply; nothing that needs a failed stack starts
## (AUTO_APPROVE=1: independent stacks in parallel, else one at a time with a prompt; ALLOW_DESTROY=1; STACKS=...)
deploy: setup
	$(PY) scripts/delivery.py deploy $(if $(strip $(STACKS)),--stacks "$(strip $(STACKS))")

## test: the whole test suite (synth of both configs, policy, validation), on TOOLCHAIN; both configs
## are also synthesized on the other toolchain and compared (tests/test_toolchains.py)
test: setup $(DEV_STAMP) $(OTHER_STAMP)
	$(PY) -m pytest

.PHONY: checkov
## checkov: checkov on each synthesized stack of cdktf.out/ with that stack's own skips (policy/checkov_skips.py);
## one line per stack, exit 1 if any fails a check, does not parse, or checks nothing where checkov has checks
## (run `make synth` first)
checkov: setup $(DEV_STAMP)
	$(PY) tests/support/checkov_all.py --summary --out $${CHECKOV_OUT:-/tmp/ppm-checkov} \
		$(foreach s,network data cluster app,--stack $(s)=$(s)) $(foreach s,network data cluster app,$(s)=cdktf.out/stacks/$(s))

.PHONY: preflight
## preflight: before anything is applied: config placeholders, terraform/az/kubelogin, then through `az`: resource
## providers, EncryptionAtHost, vCPU quota, PostgreSQL SKU and zones, the license secret and TLS certificate
## (STACKS="network data": only those)
preflight: setup
	$(PY) scripts/preflight.py $(if $(strip $(STACKS)),--stacks "$(strip $(STACKS))")

BENCH_TS := bench/ts-baseline
BENCH_STAMP := $(BENCH_TS)/node_modules/.installed
ROUNDS ?= 7

$(BENCH_STAMP): $(BENCH_TS)/package.json $(BENCH_TS)/package-lock.json
	cd $(BENCH_TS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## bench: median/min/max synth wall time, ROUNDS (7) interleaved rounds: reference config lazy vs eager vs a TypeScript cdktf app,
## and lazy on the other toolchain (cdktf and CDK Terrain side by side)
bench: setup $(BENCH_STAMP) $(OTHER_STAMP)
	cd $(BENCH_TS) && node_modules/.bin/tsc -p .
	$(PY) bench/bench.py --rounds $(ROUNDS)

DIAGRAM_CONFIG ?= config/reference.yaml
## docs: regenerate every generated doc: synthesize DIAGRAM_CONFIG (reference) to cdktf.out/ and redraw
## docs/architecture.md from it; docs/policy.md and README's skip table; docs/library.md; the azurerm 5 table of
## docs/toolchains.md (tools/docs/)
docs: setup
	PPM_CONFIG=$(DIAGRAM_CONFIG) CDKTF_OUTDIR=cdktf.out $(PY) main.py
	$(PY) tools/docs/diagram.py --outdir cdktf.out --output docs/architecture.md
	$(PY) tools/docs/policy_doc.py
	$(PY) tools/docs/library_doc.py
	$(PY) tools/docs/toolchains_doc.py

## clean: remove generated output, build leftovers and interrupted synths' staging dirs (keeps .venv, node_modules)
clean:
	rm -rf cdktf.out cdktf.out.bootstrap plans .pytest_cache build *.egg-info $(BENCH_TS)/build \
		.cdktf.out.staging-* .cdktf.out.previous-* .cdktf.out.bootstrap.staging-* .cdktf.out.bootstrap.previous-*
