# Two commands for a fresh machine: `make demo` and `make test`.
# Uses the active virtual environment if there is one, else creates .venv.
# torch is installed first, pinned to the CPU wheel, only when absent, so a torch
# the user already has (CUDA build included) is kept.
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: demo test install install-dev bench clean chromium

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.torch: | $(PY)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_SPEC)"
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PY) -m pip install -q -e ".[all]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.torch
	$(PY) -m pip install -q -e ".[all,dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(PY) -m subnetscope demo

test: $(VENV)/.installed-dev chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# Debian's chromium for the report's browser test (tests/report/test_browser.py). Does nothing
# when chromium is already there; when apt is missing or fails (no root, no network) it says so
# and goes on: the browser test then SKIPS with that reason instead of failing the build.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: already installed"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo -n ); \
		( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium ) \
			|| echo "chromium: apt-get could not install it; the browser test will be skipped"; \
	else \
		echo "chromium: no apt-get here; install chromium yourself or the browser test will be skipped"; \
	fi

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_pairwise.py --quick

clean:
	rm -rf runs .pytest_cache
