# SPDX-License-Identifier: GPL-2.0
#
# prototype-kernel-rs: out-of-tree Rust kernel modules.
#
#   make [kbuildkdir=DIR]   build the modules enabled in .config against DIR
#                           (aliases: kbuilddir=DIR, KDIR=DIR)
#   make run                set up, build, boot the test box, run the benchmark
#   make test               set up, build, run every test
#   make clean | install | rust-analyzer | kernel-tree | setup
#   make push_remote HOST=H [PORT=P] [USER=root] [PUSH_OPTS=...]
#                           install the built modules on test host H over ssh
#   make clean_remote HOST=H [PORT=P] [USER=root]   remove them again
#
# Without kbuildkdir, the running kernel's build tree is used when it has Rust
# metadata (rust/libkernel.rmeta), else the project's default tree, which
# scripts/kernel-tree.sh prepares under $(PKRS_CACHE).

PKRS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/prototype-kernel-rs
export PKRS_CACHE
DEFAULT_KDIR := $(PKRS_CACHE)/linux
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build

kbuildkdir ?= $(or $(kbuilddir),$(KDIR))
ifneq ($(kbuildkdir),)
  kdir := $(kbuildkdir)
  kdir_from := kbuildkdir=$(kbuildkdir)
else ifneq ($(wildcard $(RUNNING_KDIR)/rust/libkernel.rmeta),)
  kdir := $(RUNNING_KDIR)
  kdir_from := the running kernel's build tree
else
  kdir := $(DEFAULT_KDIR)
  kdir_from := the default tree
  kdir_default := 1
endif

# A clang-built tree needs the same LLVM toolchain: take LLVM=-<major> from
# the tree's CONFIG_CLANG_VERSION when that clang is installed.
ifeq ($(origin LLVM),undefined)
  clang_version := $(shell sed -n 's/^CONFIG_CLANG_VERSION=//p' $(kdir)/.config 2>/dev/null)
  ifneq ($(filter-out 0,$(clang_version)),)
    clang_major := $(shell echo $$(($(clang_version) / 10000)))
    LLVM := $(if $(shell command -v clang-$(clang_major)),-$(clang_major),1)
  endif
endif

# The module selection: .config lines such as CONFIG_TIME_BENCH=m become
# make variables of the kbuild run (they name no kernel option).
module_config = $(shell sed -n 's/^\(CONFIG_[A-Z0-9_]*=[ymn]\)[[:space:]]*$$/\1/p' .config)
kbuild = $(MAKE) -C $(kdir) M=$(CURDIR) $(if $(LLVM),LLVM=$(LLVM)) $(module_config)

.PHONY: all modules clean install rust-analyzer kernel-tree setup check-kdir run test
.PHONY: push_remote clean_remote

all: modules

.config: config.default
	@if [ -f $@ ]; then \
		echo "note: config.default is newer than .config; keeping .config (delete it to start over)"; \
		touch $@; \
	else \
		cp $< $@; echo "created .config from config.default"; \
	fi

check-kdir:
ifeq ($(kdir_default),1)
	@[ -f $(kdir)/rust/libkernel.rmeta ] || scripts/kernel-tree.sh >/dev/null
endif
	@scripts/check-kdir.sh "$(kdir)" "$(kdir_from)"

modules: .config check-kdir
	@echo "building against $(kdir_from): $(realpath $(kdir))"
	+$(kbuild) modules

clean:
	@if [ -f $(kdir)/Makefile ]; then $(kbuild) clean; fi
	find kernel -name '*_bindings.rs' -delete

install: .config check-kdir
	+$(kbuild) INSTALL_MOD_DIR=extra modules_install

rust-analyzer: .config check-kdir
	+$(kbuild) rust-analyzer

kernel-tree:
	scripts/kernel-tree.sh

setup:
	scripts/setup-host.sh

# The main job: everything from a fresh machine to the benchmark's dmesg.
run:
	scripts/setup-host.sh
	scripts/kernel-tree.sh >/dev/null
	+$(MAKE) modules
	scripts/testbox.sh --kdir "$(kdir)" --scenario tests/guest/run-bench.sh

# Every test; ends with "N passed, N failed".
test:
	tests/run.sh

# Install the built modules on a test host over ssh (scripts/push_remote.sh;
# no build here). HOST, PORT and USER are read from make's command line only
# (not from the environment, where USER is the local user), taken verbatim
# and handed to the script through the environment, never through the
# recipe's shell: the script checks them. PUSH_OPTS: more options of the
# script, split at blanks (no ~ or $ expansion), e.g.
# PUSH_OPTS='-i /home/me/.ssh/testbox -o UserKnownHostsFile=/home/me/.ssh/testbox_hosts'.
cmdline = $(if $(filter command line,$(origin $(1))),$(value $(1)),$(2))
unexport HOST PORT PUSH_OPTS
push_remote clean_remote: export PKRS_PUSH_HOST := $(call cmdline,HOST)
push_remote clean_remote: export PKRS_PUSH_PORT := $(call cmdline,PORT)
push_remote clean_remote: export PKRS_PUSH_USER := $(call cmdline,USER,root)
push_remote clean_remote: export PKRS_PUSH_OPTS := $(value PUSH_OPTS)
push_script = set -f; scripts/push_remote.sh $$PKRS_PUSH_OPTS -u "$$PKRS_PUSH_USER" \
	$${PKRS_PUSH_PORT:+-p "$$PKRS_PUSH_PORT"}

push_remote:
	@$(push_script) -- "$$PKRS_PUSH_HOST"

clean_remote:
	@$(push_script) --delete -- "$$PKRS_PUSH_HOST"
