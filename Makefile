# SPDX-License-Identifier: GPL-2.0
#
# prototype-kernel-rs: out-of-tree Rust kernel modules.
#
#   make [kbuildkdir=DIR]   build the modules enabled in .config against DIR
#                           (aliases: kbuilddir=DIR, KDIR=DIR); on a tree with
#                           CONFIG_RUST_INLINE_HELPERS the C shim inlines into
#                           Rust, PKRS_SHIM_INLINE=n keeps it a called object
#   make run [BENCH=mods] [BENCH_ARGS=params] [ICOUNT=1] [PKRS_BENCH_RUNS=N]
#            [RUN_LOG=file] set up, build, boot the test box, run the benchmarks
#                           (each N times, default 3), print their summary
#                           (BENCH=xdp: the XDP benchmark, generator outside;
#                           BENCH=xdp_sim: on xdp_cqsim's simulated CQ NIC)
#   make reports [RUN_LOGS=logs] [XDP_LOGS=logs] [SIM_LOGS=logs]
#                           the documentation's reports (Documentation/reports/)
#                           from these logs, or from new runs
#   make upstream-bench     build the kernel's C page_pool bench (bench_page_pool)
#   make samples            build samples/bpf: the XDP programs (clang) and
#                           their Rust tools (same as make -C samples/bpf)
#   make html               build the documentation (Sphinx) into
#                           Documentation/_build/html/; a warning fails it
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

.PHONY: reports-check all modules clean install rust-analyzer kernel-tree setup check-kdir run test upstream-bench
.PHONY: reports
.PHONY: samples html
.PHONY: push_remote clean_remote

all: modules

# A module added to config.default since .config was made is added to
# .config (one set to n, or to "# CONFIG_X is not set", stays off).
.config: config.default
	@if [ -f $@ ]; then \
		for k in $$(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p' $<); do \
			grep -Eq "^$$k=|^# $$k is not set" $@ && continue; \
			grep "^$$k=" $< >>$@; echo "added to .config: $$(grep "^$$k=" $<)"; \
		done; \
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
	@if ! grep -qx 'CONFIG_RUST_INLINE_HELPERS=y' $(kdir)/.config; then \
		echo "C shim: a separate object, called (the tree has no CONFIG_RUST_INLINE_HELPERS)"; \
	elif [ "$(PKRS_SHIM_INLINE)" = n ]; then \
		echo "C shim: a separate object, called (PKRS_SHIM_INLINE=n)"; \
	else \
		echo "C shim: inlined into the Rust objects (the tree has CONFIG_RUST_INLINE_HELPERS)"; \
	fi
	+$(kbuild) modules

clean:
	@if [ -f $(kdir)/Makefile ]; then $(kbuild) clean; fi
	find kernel \( -name '*_bindings.rs' -o -name '*.bc' \) -delete

install: .config check-kdir
	+$(kbuild) INSTALL_MOD_DIR=extra modules_install

rust-analyzer: .config check-kdir
	+$(kbuild) rust-analyzer

kernel-tree:
	scripts/kernel-tree.sh

setup:
	scripts/setup-host.sh

# The kernel's own C page_pool bench, built from $(kdir) outside the
# repository; prints the path of bench_page_pool.ko.
upstream_bench = $(if $(LLVM),LLVM=$(LLVM)) scripts/upstream-bench.sh --kdir "$(kdir)"
upstream-bench:
ifeq ($(kdir_default),1)
	@[ -f $(kdir)/include/config/kernel.release ] || scripts/kernel-tree.sh >/dev/null
endif
	@$(upstream_bench)

# samples/bpf has its own Makefile (clang -target bpf, cargo); no kernel
# tree needed.
samples:
	+$(MAKE) -C samples/bpf

# The documentation (Documentation/Makefile: Sphinx with -W), into
# Documentation/_build/html/; no kernel tree needed.
html:
	+$(MAKE) -C Documentation html

# The main job: everything from a fresh machine to the benchmark's dmesg.
# BENCH="mod ..." picks the benchmarks, BENCH_ARGS="param=value ..." their
# parameters; ICOUNT=1 times by instruction count (qemu -icount shift=0).
# BENCH=xdp is the XDP benchmark (scripts/xdp-bench.sh; BENCH_ARGS takes
# its XB_NAME=VALUE settings), BENCH=xdp_sim the same on the simulated CQ
# NIC (xdp_cqsim).
# The upstream bench_page_pool is in the test box when the tree has it.
# Each module is loaded PKRS_BENCH_RUNS times (default 3) once the box has
# settled; the console log (every raw line) is kept in RUN_LOG, by default
# a new file in $(PKRS_CACHE)/runs/, and the run ends with its summary
# (pkrs-check run-report: medians, spread, ratios) and the log's path.
BENCH ?= page_pool_bench bench_page_pool page_bench01
PKRS_BENCH_RUNS ?= 3
pkrs_check := tools/pkrs-check/target/release/pkrs-check
run:
	scripts/setup-host.sh
	scripts/kernel-tree.sh >/dev/null
	+$(MAKE) modules
ifeq ($(BENCH),xdp)
	scripts/xdp-bench.sh --kdir "$(kdir)" $(if $(ICOUNT),--icount) $${RUN_LOG:+--log "$$RUN_LOG"} $(BENCH_ARGS)
else ifeq ($(BENCH),xdp_sim)
	scripts/xdp-bench.sh --sim --kdir "$(kdir)" $(if $(ICOUNT),--icount) $${RUN_LOG:+--log "$$RUN_LOG"} $(BENCH_ARGS)
else
	cd tools/pkrs-check && cargo build -q --release
	ko=$$($(upstream_bench)) || \
		{ ko=; echo "make run: continuing without the upstream bench_page_pool"; }; \
	log=$${RUN_LOG:-$(PKRS_CACHE)/runs/run-$$(date +%Y%m%d-%H%M%S)$(if $(ICOUNT),-icount).log}; \
	mkdir -p "$$(dirname "$$log")" && \
	scripts/testbox.sh --kdir "$(kdir)" --scenario tests/guest/run-bench.sh $(if $(ICOUNT),--icount) \
		$${ko:+--ko "$$ko"} --env PKRS_BENCH="$$PKRS_BENCH" --env PKRS_BENCH_ARGS="$$PKRS_BENCH_ARGS" \
		--env PKRS_BENCH_RUNS="$$PKRS_BENCH_RUNS" --env PKRS_ICOUNT=$(if $(ICOUNT),1,0) \
		--env PKRS_COMMIT="$$(bash -c '. scripts/lib.sh && pkrs_commit')" \
		--timeout 1800 --log "$$log" || { echo "log: $$log"; exit 1; }; \
	echo; rc=0; $(pkrs_check) run-report "$$log" || rc=1; echo "log: $$log"; exit $$rc
endif
run: export PKRS_BENCH = $(BENCH)
run: export PKRS_BENCH_ARGS = $(BENCH_ARGS)
run: export PKRS_BENCH_RUNS := $(PKRS_BENCH_RUNS)
run: export RUN_LOG := $(RUN_LOG)

# The documentation's reports: Documentation/reports/generated.rst and the
# generated-*.rst and generated-*.svg files it shows, and README.md's
# generated figures (pkrs-check docs-report), from the logs committed in
# Documentation/reports/logs/: run-*.log (make run), xdp-bench-sim-*.log
# (BENCH=xdp_sim) and the other xdp-bench-*.log (BENCH=xdp); repeat/
# holds second boots of the XDP benchmark, compared with those. With
# MEASURE=1 the benchmarks run first (make run BENCH="$(REPORT_BENCH)",
# BENCH=xdp and BENCH=xdp_sim, each without and with ICOUNT=1; MEASURE=xdp
# only the XDP ones) and their logs replace the committed ones of the same
# kind. reports-check: fails when the committed reports or README's
# figures are not what the committed logs give (make test runs it).
REPORT_BENCH := page_pool_bench bench_page_pool page_bench01 page_bench04_bulk
report_logs := Documentation/reports/logs
report_args = $$(for l in $(report_logs)/run-*.log; do [ -f "$$l" ] && echo --run "$$l"; done) \
	$$(for l in $(report_logs)/xdp-bench-*.log; do case $$l in *-sim-*) ;; *) [ -f "$$l" ] && echo --xdp "$$l" ;; esac; done) \
	$$(for l in $(report_logs)/xdp-bench-sim-*.log; do [ -f "$$l" ] && echo --xdp-sim "$$l"; done) \
	$$(for l in $(report_logs)/repeat/xdp-bench-*.log; do [ -f "$$l" ] && echo --xdp-repeat "$$l"; done)
reports:
	cd tools/pkrs-check && cargo build -q --release
ifneq ($(MEASURE),)
	set -e; d="$(PKRS_CACHE)/runs"; new=$$(mktemp -d); mkdir -p "$$d"; \
	if [ "$(MEASURE)" != xdp ]; then \
		for ic in "" 1; do \
			log=$$d/run-$$(date +%Y%m%d-%H%M%S)$${ic:+-icount}.log; \
			$(MAKE) run BENCH="$(REPORT_BENCH)" BENCH_ARGS= ICOUNT=$$ic RUN_LOG="$$log"; \
			cp "$$log" "$$new/"; \
		done; \
	fi; \
	for ic in "" 1; do \
		log=$$d/xdp-bench-$$(date +%Y%m%d-%H%M%S)$${ic:+-icount}.log; \
		$(MAKE) run BENCH=xdp BENCH_ARGS= ICOUNT=$$ic RUN_LOG="$$log"; \
		cp "$$log" "$${log%.log}-like.log" "$$new/"; \
		log=$$d/xdp-bench-sim-$$(date +%Y%m%d-%H%M%S)$${ic:+-icount}.log; \
		$(MAKE) run BENCH=xdp_sim BENCH_ARGS= ICOUNT=$$ic RUN_LOG="$$log"; \
		cp "$$log" "$$new/"; \
	done; \
	mkdir -p $(report_logs); \
	if [ "$(MEASURE)" != xdp ]; then rm -f $(report_logs)/run-*.log; fi; \
	rm -f $(report_logs)/xdp-bench-*.log; \
	mv "$$new"/*.log $(report_logs)/; rmdir "$$new"
endif
	$(pkrs_check) docs-report --out Documentation/reports --readme README.md --docs Documentation $(report_args)
reports-check:
	cd tools/pkrs-check && cargo build -q --release
	$(pkrs_check) docs-report --check --out Documentation/reports --readme README.md --docs Documentation $(report_args)

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
# A variable of the command line is exported to every recipe, expanded: a
# USER='$(shell ...)' would run there. The local USER of the environment
# stays when none is given.
ifeq ($(origin USER),command line)
unexport USER
endif
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
