# ehlo — build, test and install.
#
#   make practice  run the console against the built-in practice server (installs what it needs)
#   make test      unit tests, then the whole binary against a real MTA and in a real terminal
#   make install   the binary and the man page under $(PREFIX)

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man/man1
SWIFT    ?= swift
PYTHON   ?= python3
DEBUG_BIN   = .build/debug/ehlo
RELEASE_BIN = .build/release/ehlo

# Debian package names of what the build and the tests need. postfix brings Postfix itself
# and smtp-sink; the tests run their own instance of it on loopback ports (see
# Tests/e2e/postfix_fixtures.py). It is installed with debconf's "No configuration": no
# /etc/postfix/main.cf, so no system Postfix is set up or started on port 25.
APT_PACKAGES = libedit-dev pkg-config tmux mandoc swaks postfix
PIP_PACKAGES = aiosmtpd pytest cryptography dnslib
# What `make bench` runs beside ehlo, besides swaks and smtp-source: a raw socket copy.
BENCH_PACKAGES = socat

.PHONY: all build release test unit-test e2e-test practice bench install uninstall deps deps-build lint-man clean

all: build

build: deps-build
	$(SWIFT) build

release: deps-build
	$(SWIFT) build -c release

test: deps build
	$(SWIFT) test
	$(MAKE) lint-man
	EHLO_BIN=$(CURDIR)/$(DEBUG_BIN) $(PYTHON) -m pytest -q Tests/e2e

unit-test: deps-build
	$(SWIFT) test

e2e-test: deps build
	EHLO_BIN=$(CURDIR)/$(DEBUG_BIN) $(PYTHON) -m pytest -q Tests/e2e

# The console on the practice server, started in-process on a free loopback port.
practice: build
	$(DEBUG_BIN) --practice

# ehlo beside swaks, smtp-source and a raw socket on the same machine, as ratios (see scripts/bench.py).
bench: deps release
	@dpkg -s $(BENCH_PACKAGES) 2>/dev/null | grep -q '^Status: install ok installed' || \
		{ echo "installing $(BENCH_PACKAGES)"; $(call apt_install,$(BENCH_PACKAGES)); }
	EHLO_BIN=$(CURDIR)/$(RELEASE_BIN) $(PYTHON) scripts/bench.py

install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 -s $(RELEASE_BIN) $(DESTDIR)$(BINDIR)/ehlo
	install -m 644 man/ehlo.1 $(DESTDIR)$(MANDIR)/ehlo.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ehlo $(DESTDIR)$(MANDIR)/ehlo.1

lint-man:
	mandoc -Tlint -W warning man/ehlo.1

# Installs libedit-dev (and pkg-config) when missing; the build needs nothing else.
deps-build:
	@if ! pkg-config --exists libedit 2>/dev/null; then \
		echo "installing libedit-dev and pkg-config"; \
		$(call apt_install,libedit-dev pkg-config); \
	fi

# Everything the tests need as well: tmux, mandoc, swaks, postfix, aiosmtpd, pytest, and dnslib
# (the DNS server the --mx and /dns tests run on loopback).
# (A package removed but not purged still has a dpkg status, so the check reads it.)
deps: deps-build
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
		echo "postfix postfix/main_mailer_type select No configuration" | $(SUDO) debconf-set-selections; \
		$(call apt_install,$$missing); fi
	@$(PYTHON) -c "import aiosmtpd, pytest, cryptography, dnslib" 2>/dev/null || $(PYTHON) -m pip install -q $(PIP_PACKAGES)

clean:
	rm -rf .build

SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
apt_install = $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(1) >/dev/null
