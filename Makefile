# mmrazor_amd: the two commands of the README, and their parts.
#   make test   set up the stack (cached after the first time), run the tests
#   make demo   set up the stack, then run the embedded demo
PYTHON ?= python3
export PYTHON

.PHONY: setup test demo clean-setup

setup:
	@bash scripts/setup_env.sh

test: setup
	$(PYTHON) -m pytest $(PYTEST_ARGS)

demo: setup
	@echo "The embedded demo (generated COCO-format data, teacher and students)"
	@echo "is not implemented yet. The set-up above is complete: see README.md"
	@echo "for training the COCO configs with 'mim train mmrazor'."
	@exit 2

clean-setup:
	rm -f .setup-stamp
