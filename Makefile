# Two entry points, both from a fresh clone:
#   make nightly   set up, then run the whole nightly load on the bundled data
#   make test      set up, then run the test suite
# Everything is installed into .venv; nothing outside the project is touched
# except Debian packages that the browser tests need (see .ci/install-system-deps).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# As `dukan` itself decides it: the caller's, else beside the warehouse.
export DAGSTER_HOME ?= $(abspath $(or $(DUKAN_WAREHOUSE_DIR),$(CURDIR)/warehouse)/dagster)
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: setup nightly test ui clean system-deps

setup: $(STAMP)

# Bytecode is compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI), Python
# would otherwise recompile Dagster, dbt and pandas from source on every start.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.8
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt \
		-e '.[test]'
	$(BIN)/dukan prepare
	touch $@

# No monthly data is public: the bundled year is simulated (deterministic, seed 2020),
# written once into raw/submissions/ and marked simulated in the warehouse.
nightly: setup
	$(BIN)/dukan simulate --if-missing
	$(BIN)/dukan nightly

test: setup system-deps
	$(BIN)/ruff check --select F,E9 orchestration tests benchmarks
	$(BIN)/python -m pytest

# The report tests open pages in a real browser, and charts and pages need a font with
# Chinese glyphs. Installed from Debian when missing (CI runs as root on a fresh machine).
system-deps:
	@if command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; then \
		echo "chromium and a CJK font are installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-cjk fontconfig iproute2 >/dev/null; \
	else \
		echo "install chromium and fonts-noto-cjk (Debian), or run make test as root"; exit 1; \
	fi

ui: setup
	$(BIN)/dukan ui

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/build dbt_project/target
