# Everyday entry points. `make run` and `make test` work on a fresh Debian 12
# machine (as root for the system packages that the real-tool checks and the lab use).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := iproute2 iputils-ping iperf3 nftables ifupdown isc-dhcp-client netplan.io network-manager dnsmasq-base radvd dbus time git chromium zsh groff-base \
	debhelper dh-python pybuild-plugin-pyproject python3-all python3-setuptools debootstrap
SPEC ?= examples/two-uplinks.yaml
TARGET ?= networkd

MERMAID := tools/mermaid

.PHONY: run test lint fuzz bench bench-fleet bench-smoke system-deps node-deps man completion deb clean

$(BIN)/netcompile: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## run: compile the two-uplink example for systemd-networkd and print the files
run: $(BIN)/netcompile
	$(BIN)/netcompile $(SPEC) --target $(TARGET)

## system-deps: the real tools the checks and the lab drive (apt, needs root)
system-deps:
	@if dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then echo "system packages present"; else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); fi

## node-deps: the real Mermaid renderer (mermaid-cli, pinned in tools/mermaid) that
## checks netcompile's diagrams; it drives Debian's Chromium, so no browser download
node-deps: $(MERMAID)/node_modules/.bin/mmdc

$(MERMAID)/node_modules/.bin/mmdc: $(MERMAID)/package.json $(MERMAID)/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	cd $(MERMAID) && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

## test: the whole suite: unit, snapshots, real-tool checks, hardening, lab
test: $(BIN)/netcompile system-deps node-deps
	$(BIN)/python -m pytest

## completion, man: bash and zsh completion and the man page, generated from the parsers
completion: $(BIN)/netcompile
	mkdir -p build/completion
	$(BIN)/netcompile completion bash > build/completion/netcompile.bash
	$(BIN)/netcompile completion zsh > build/completion/_netcompile

man: $(BIN)/netcompile
	mkdir -p build/man
	$(BIN)/netcompile manpage > build/man/netcompile.1

lint: $(BIN)/netcompile
	$(BIN)/ruff check .
	$(BIN)/mypy

## fuzz: the long property-based run (at least 10,000 cases per target)
fuzz: $(BIN)/netcompile
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest tests/hardening -k fuzz -p no:cacheprovider

## bench: throughput over N uplinks and compile speed against netplan generate
bench: $(BIN)/netcompile system-deps
	$(BIN)/python -m benchmarks

## bench-fleet: 1,000 hosts in one `netcompile fleet` run against one process per host
bench-fleet: $(BIN)/netcompile
	$(BIN)/python -m benchmarks.fleet

## deb: the Debian package, built with debhelper, dh-python and pybuild (docs/debian.md),
## into build/deb/ (Debian's own python3 and tools: the venv's are kept off PATH)
deb: system-deps
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C build/deb/src
	cd build/deb/src && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=$(CURDIR)/build/deb \
	  LC_ALL=C.UTF-8 dpkg-buildpackage -us -uc -b
	ls build/deb/*.deb

clean:
	rm -rf $(MERMAID)/node_modules
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
