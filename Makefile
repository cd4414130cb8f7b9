# mmrazor_amd: the two commands of the README, and their parts.
#   make test   set up the stack (cached after the first time), run the tests
#   make demo   set up the stack, then run the embedded demo (CPU, ~15 min)
#   make benchmark   the full embedded benchmark (hours on 2 CPU cores)
PYTHON ?= python3
export PYTHON

.PHONY: setup test demo benchmark clean-setup

setup:
	@bash scripts/setup_env.sh

test: setup
	$(PYTHON) -m pytest $(PYTEST_ARGS)

demo: setup
	$(PYTHON) scripts/demo.py $(DEMO_ARGS)

benchmark: setup
	$(PYTHON) scripts/benchmark.py $(BENCHMARK_ARGS)

clean-setup:
	rm -f .setup-stamp
