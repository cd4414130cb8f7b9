# mmrazor_amd: the two commands of the README, and their parts.
#   make test   set up the stack (cached after the first time), run the tests
#               in PYTEST_WORKERS processes with pytest-xdist (default 2;
#               0: in this one); the tests of a file stay in one process
#   make demo   set up the stack, then run the embedded demo (CPU, ~15 min)
#   make benchmark   the full embedded benchmark (hours on 2 CPU cores)
PYTHON ?= python3
PYTEST_WORKERS ?= 2
export PYTHON

.PHONY: setup test demo benchmark clean-setup

setup:
	@bash scripts/setup_env.sh

test: setup
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

demo: setup
	$(PYTHON) scripts/demo.py $(DEMO_ARGS)

benchmark: setup
	$(PYTHON) scripts/benchmark.py $(BENCHMARK_ARGS)

clean-setup:
	rm -f .setup-stamp
