# b4arena.rootless: development entry points. Everything runs as root on a Debian 12 host.
#   make test   the whole suite (deps, lint, sanity, unit, integration, molecule)
#   make demo   migrate a disposable local host and leave it up to look at
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= $(CURDIR)/.venv
BUILD := $(CURDIR)/.build
COLLECTIONS := $(BUILD)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/b4arena/rootless
# Outside the work tree: inside it, ansible-test would ask git and skip the ignored copy.
SANITY_BASE ?= /tmp/b4arena-rootless-sanity
SANITY_ROOT := $(SANITY_BASE)/ansible_collections/b4arena/rootless
PYTHON_VERSION := $(shell python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_FORCE_COLOR := 0
export ANSIBLE_NOCOLOR := 1
export NO_COLOR := 1
export PY_COLORS := 0
export PYTHONDONTWRITEBYTECODE := 1
# The collection's own code is imported from its ansible_collections path, as Ansible does.
export PYTHONPATH := $(COLLECTIONS)

.PHONY: help deps images collection lint sanity unit integration molecule test bench demo demo-clean build lock clean

help:
	@echo "make test    deps + lint + sanity + unit + integration + molecule"
	@echo "make demo    run the collection on a disposable local systemd host (make demo-clean removes it)"
	@echo "make bench   benchmarks (figures printed, never asserted)"
	@echo "make build   the collection tarball"

deps:
	scripts/deps.sh

images: deps
	scripts/test-images.sh all

# The repository is the collection: make it importable as ansible_collections.b4arena.rootless.
collection:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)

lint: deps collection
	yamllint --strict .
	ruff check plugins tests bench molecule scripts
	ruff format --check plugins tests bench molecule scripts
	ansible-lint

# ansible-test wants a real tree under ansible_collections/NS/NAME: copy the tracked
# (and new, not ignored) files there and test with this machine's Python, no containers.
# Its own virtualenv (ansible-core at our pin, plus ansible-test's own pinned tools via
# --requirements): --venv would download a pip bootstrap from a host we cannot reach.
SANITY_VENV := $(BUILD)/sanity-venv
sanity: deps
	test -x $(SANITY_VENV)/bin/ansible-test || { python3 -m venv $(SANITY_VENV) && \
	  $(SANITY_VENV)/bin/pip install -q --disable-pip-version-check "$$(grep '^ansible-core==' requirements.txt)" 2>&1 | \
	  { grep -v '^WARNING: Location' || true; }; }
	pip=$$($(SANITY_VENV)/bin/python -c 'from ansible_test._internal.python_requirements import *; \
	  import inspect, re, ansible_test._internal.python_requirements as m; \
	  print(re.search(r"pip=.([0-9.]+).", inspect.getsource(m)).group(1))'); \
	  mkdir -p ~/.ansible/test/cache && cp scripts/ansible-test-get-pip.py ~/.ansible/test/cache/get_pip_$${pip//./_}.py
	rm -rf $(SANITY_BASE) && mkdir -p $(SANITY_ROOT)
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t $(SANITY_ROOT)
	cd $(SANITY_ROOT) && PATH=$(SANITY_VENV)/bin:$$PATH ansible-test sanity --local --requirements \
	  --python $(PYTHON_VERSION) --color no 2>&1 | { grep -v '^WARNING: Location' || true; }
	rm -rf $(SANITY_BASE)

unit: deps collection
	SARIF_SCHEMA=$$(scripts/sarif-schema.sh) pytest -q tests/unit

integration: images collection
	pytest -q tests/integration

# The openclaw scenario mounts OpenClaw from npm and Node 24, cached by scripts/openclaw.sh.
molecule: images collection
	B4ARENA_OPENCLAW=$$(scripts/openclaw.sh) scripts/molecule-all.sh

test: lint sanity unit integration molecule

bench: images collection
	python bench/run.py

demo: images collection
	scripts/demo.sh up

demo-clean: collection
	scripts/demo.sh down

build: deps
	rm -rf $(BUILD)/dist && mkdir -p $(BUILD)/dist
	ansible-galaxy collection build --output-path $(BUILD)/dist .

lock:
	python3 -m venv $(BUILD)/lock && $(BUILD)/lock/bin/pip install -q -r requirements.in
	{ sed -n 1,2p requirements.txt; $(BUILD)/lock/bin/pip freeze | sort -f; } > requirements.txt.new
	mv requirements.txt.new requirements.txt && rm -rf $(BUILD)/lock

clean:
	rm -rf $(BUILD) .cache/images/*.tmp
