# Two entry points, both from a fresh clone:
#   make nightly   set up, then run the whole nightly load on the bundled data
#   make test      set up, then run the test suite
# Everything is installed into .venv; nothing outside the project is touched
# except Debian packages that the browser tests need (see .ci/install-system-deps).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DAGSTER_HOME := $(CURDIR)/warehouse/dagster
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: setup nightly test ui clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.8
	# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI), Python
	# would otherwise recompile Dagster, dbt and pandas from source on every start.
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt \
		-e '.[test]'
	$(BIN)/dukan prepare
	touch $@

# No monthly data is public: the bundled year is simulated (deterministic, seed 2020),
# written once into raw/submissions/ and marked simulated in the warehouse.
nightly: setup
	$(BIN)/dukan simulate --if-missing
	$(BIN)/dukan nightly

test: setup
	$(BIN)/python -m pytest

ui: setup
	$(BIN)/dukan ui

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/build dbt_project/target
