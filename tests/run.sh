#!/usr/bin/env bash
# The project's tests: host-side unit tests, build checks, the kbuild tree
# resolution, and the module tests inside the QEMU test box.
# Prints "ok N - name" / "not ok N - name" per test and ends with
# "N passed, N failed"; exits non-zero when any test failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/lib.sh
out=$top/tests/out
rm -rf "$out"; mkdir -p "$out"
passed=0 failed=0 n=0

. tests/lib.sh

# --- set-up: packages, toolchain, the default kernel tree (cached) ---------
scripts/setup-host.sh || { fail "host set-up (scripts/setup-host.sh)"; finish; }
kdir=$(scripts/kernel-tree.sh) || { fail "default kernel tree (scripts/kernel-tree.sh)"; finish; }
[ -f .config ] || cp config.default .config

# --- host-side unit tests (the log parser) ---------------------------------
cargo_log=$out/cargo-test.log
cargo_rc=0
(cd tools/pkrs-check && cargo test 2>&1) >"$cargo_log" || cargo_rc=$?
while read -r p f; do
	passed=$((passed + p)); failed=$((failed + f)); n=$((n + p + f))
done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$cargo_log")
grep -E '^test .* \.\.\. (ok|FAILED)$' "$cargo_log" | sed 's/^/# cargo: /'
grep -q '^test result:' "$cargo_log" || fail "cargo test of tools/pkrs-check" "$(tail -n 15 "$cargo_log")"
# A test binary that aborts (or fails to build) after another printed its
# summary counts no failure above: its exit status does.
[ $cargo_rc = 0 ] || ! grep -q '^test result:' "$cargo_log" ||
	grep -q '^test result: FAILED' "$cargo_log" ||
	fail "cargo test of tools/pkrs-check exits 0 (exit $cargo_rc)" "$(tail -n 15 "$cargo_log")"
(cd tools/pkrs-check && cargo build -q --release) || { fail "build tools/pkrs-check"; finish; }
# the samples/bpf tools' argument parsing and output formatting
samples_log=$out/cargo-test-samples.log
samples_rc=0
(cd samples/bpf/tools && cargo test 2>&1) >"$samples_log" || samples_rc=$?
while read -r p f; do
	passed=$((passed + p)); failed=$((failed + f)); n=$((n + p + f))
done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$samples_log")
grep -E '^test .* \.\.\. (ok|FAILED)$' "$samples_log" | sed 's/^/# cargo (samples\/bpf): /'
grep -q '^test result:' "$samples_log" || fail "cargo test of samples/bpf/tools" "$(tail -n 15 "$samples_log")"
[ $samples_rc = 0 ] || ! grep -q '^test result:' "$samples_log" ||
	grep -q '^test result: FAILED' "$samples_log" ||
	fail "cargo test of samples/bpf/tools exits 0 (exit $samples_rc)" "$(tail -n 15 "$samples_log")"
pkrs_check=$top/tools/pkrs-check/target/release/pkrs-check
# the host-side packet generator (its unit and end-to-end tests)
gen_log=$out/cargo-test-pktgen.log
gen_rc=0
(cd tools/pkrs-pktgen && cargo test --release 2>&1) >"$gen_log" || gen_rc=$?
while read -r p f; do
	passed=$((passed + p)); failed=$((failed + f)); n=$((n + p + f))
done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$gen_log")
grep -E '^test .* \.\.\. (ok|FAILED)$' "$gen_log" | sed 's/^/# cargo (pkrs-pktgen): /'
[ $gen_rc = 0 ] || fail "cargo test of tools/pkrs-pktgen exits 0" "$(tail -n 15 "$gen_log")"
(cd tools/pkrs-pktgen && cargo build -q --release) || fail "build tools/pkrs-pktgen"
pktgen=$top/tools/pkrs-pktgen/target/release/pkrs-pktgen
# the guest-side socket probe (MSG_ZEROCOPY release times)
sock_log=$out/cargo-test-sock.log
sock_rc=0
(cd tools/pkrs-sock && cargo test --release 2>&1) >"$sock_log" || sock_rc=$?
while read -r p f; do
	passed=$((passed + p)); failed=$((failed + f)); n=$((n + p + f))
done < <(sed -n 's/^test result: .*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$sock_log")
grep -E '^test .* \.\.\. (ok|FAILED)$' "$sock_log" | sed 's/^/# cargo (pkrs-sock): /'
[ $sock_rc = 0 ] || fail "cargo test of tools/pkrs-sock exits 0" "$(tail -n 15 "$sock_log")"
(cd tools/pkrs-sock && cargo build -q --release) || fail "build tools/pkrs-sock"
sock=$top/tools/pkrs-sock/target/release/pkrs-sock

# --- build ------------------------------------------------------------------
no_warnings() { ! grep -Ei '(^|[^-])(warning|error)[:\[]' "$1"; }
build() { make kbuildkdir="$kdir" >"$out/build.log" 2>&1 && no_warnings "$out/build.log"; }
check "make builds every enabled module without warnings" build

# --- the C shim: inlined into Rust, or called (kernel/scripts/shim_inline.mk)
# On a tree with CONFIG_RUST_INLINE_HELPERS the fast paths of the page_pool
# and of the XDP poll call no function of the shim and no kernel helper,
# while the error-injection targets stay global functions that are called;
# a PKRS_SHIM_INLINE=n build (in a copy of the tree) calls the shim again.
# On a tree without the option the build is that called one. The checks of
# the called build show that the disassembly check sees real calls.
pool_fast=pkrs_page_recyclable,pkrs_percpu_inc,pkrs_put_page,pkrs_get_page
pool_fast+=,pkrs_preempt_disable,pkrs_preempt_enable,pkrs_dma_sync_for_device
pool_fast+=,pkrs_dma_sync_for_cpu,pkrs_pp_alloc,pkrs_pp_put_full_page
pool_fast+=,pkrs_pp_dma_addr,pkrs_pp_dma_mapped,pkrs_pp_sync_for_cpu
xdp_fast=$pool_fast,pkrs_xdp_prepare,pkrs_xdp_run,pkrs_nd_rxq,pkrs_nd_mtu
xdp_fast+=,pkrs_nd_napi_complete,pkrs_nd_tx_lock,pkrs_nd_tx_unlock
xdp_fast+=,pkrs_vq_add_in,pkrs_vq_add_in_mapped,pkrs_vq_kick,pkrs_vq_num_free
pool_loops=(--in 'bench::pool_loop::<page_pool_bench_main::page_pool::native::RsPagePool>'
	--in 'bench::pool_loop::<page_pool_bench_main::page_pool::cpool::CPagePool>')
xdp_polls=(--in 'RsPagePool>>>::poll' --in 'CPagePool>>>::poll')
objdump=llvm-objdump$PKRS_LLVM nm=llvm-nm$PKRS_LLVM
shim_calls() { # shim_calls KO ARGS...: pkrs-check calls on KO's disassembly
	local ko=$1; shift
	$objdump -dr --no-show-raw-insn -C "$ko" >"$out/objdump.txt" &&
		"$pkrs_check" calls "$out/objdump.txt" "$@"
}
shim_mode() { # shim_mode DIR MODE: every module of DIR with a C shim says MODE
	local ko m kos
	kos=$(find "$1/kernel" -name '*.ko' ! -name time_bench.ko | sort)
	[ -n "$kos" ] || return 1
	for ko in $kos; do
		m=$(modinfo -F pkrs_shim "$ko")
		echo "${ko##*/}: pkrs_shim=$m"
		[ "$m" = "$2" ] || return 1
	done
}
inject_targets() { # inject_targets DIR: each a global function (T) of its module
	$nm "$1/kernel/drivers/net/virtio_xdp.ko" | grep -x '[0-9a-f]* T pkrs_vq_rearm' &&
		$nm "$1/kernel/net/core/page_pool_bench.ko" | grep -x '[0-9a-f]* T pkrs_alloc_pages_bulk_node'
}
called_checks() { # called_checks DIR HOW: the called build in DIR
	check "$2: every module with a C shim says so (modinfo pkrs_shim=call)" shim_mode "$1" call
	check "$2: pool_loop of the native pool calls the shim (pkrs_page_recyclable, pkrs_percpu_inc)" \
		shim_calls "$1/kernel/net/core/page_pool_bench.ko" "${pool_loops[@]}" \
		--require pkrs_page_recyclable,pkrs_percpu_inc
	check "$2: virtio_xdp's poll calls the shim (pkrs_xdp_run, pkrs_vq_rearm)" \
		shim_calls "$1/kernel/drivers/net/virtio_xdp.ko" "${xdp_polls[@]}" --require pkrs_xdp_run,pkrs_vq_rearm
	check "$2: the error-injection targets are global functions (pkrs_vq_rearm, pkrs_alloc_pages_bulk_node)" \
		inject_targets "$1"
}
if grep -qx CONFIG_RUST_INLINE_HELPERS=y "$kdir/.config"; then
	check "the build says the C shim is inlined" \
		grep -qx 'C shim: inlined into the Rust objects (the tree has CONFIG_RUST_INLINE_HELPERS)' "$out/build.log"
	check "every module with a C shim was built with it inlined (modinfo pkrs_shim=inline)" shim_mode "$top" inline
	check "inlined: the page_pool's fast paths (pool_loop, both pools) call no shim or helper function" \
		shim_calls kernel/net/core/page_pool_bench.ko "${pool_loops[@]}" --forbid "$pool_fast,rust_helper_*"
	check "inlined: virtio_xdp's poll (both pools) calls no fast shim function, and still calls pkrs_vq_rearm" \
		shim_calls kernel/drivers/net/virtio_xdp.ko "${xdp_polls[@]}" --forbid "$xdp_fast" --require pkrs_vq_rearm
	check "inlined: xdp_cqsim's poll (both pools) calls no fast shim function" \
		shim_calls kernel/drivers/net/xdp_cqsim.ko "${xdp_polls[@]}" --forbid "$xdp_fast"
	check "inlined: the error-injection targets stay global functions (pkrs_vq_rearm, pkrs_alloc_pages_bulk_node)" \
		inject_targets "$top"
	called=$(mktemp -d)
	git ls-files -z | xargs -0 cp --parents -t "$called"
	cp config.default "$called/.config"
	called_build() {
		(cd "$called" && make kbuildkdir="$kdir" PKRS_SHIM_INLINE=n) >"$out/build-called.log" 2>&1 &&
			no_warnings "$out/build-called.log" &&
			grep -qx 'C shim: a separate object, called (PKRS_SHIM_INLINE=n)' "$out/build-called.log"
	}
	check "make PKRS_SHIM_INLINE=n builds the C shim as a called object, without warnings" called_build
	called_checks "$called" "PKRS_SHIM_INLINE=n"
	rm -rf "$called"
else
	check "the build says the C shim is called (the tree has no CONFIG_RUST_INLINE_HELPERS)" \
		grep -qx 'C shim: a separate object, called (the tree has no CONFIG_RUST_INLINE_HELPERS)' "$out/build.log"
	called_checks "$top" "called"
fi
clippy() {
	touch $(find kernel -name "*_main.rs")
	make kbuildkdir="$kdir" CLIPPY=1 >"$out/clippy.log" 2>&1 && no_warnings "$out/clippy.log"
}
check "make CLIPPY=1 is clean" clippy
check "rustfmt --check (kernel .rustfmt.toml)" \
	rustfmt --check --edition 2021 $(find kernel -name '*_main.rs')
check "cargo fmt --check (tools)" sh -c 'cd tools/pkrs-check && cargo fmt --check'
check "cargo fmt --check (samples/bpf tools)" sh -c 'cd samples/bpf/tools && cargo fmt --check'
check "cargo fmt --check (pkrs-pktgen)" sh -c 'cd tools/pkrs-pktgen && cargo fmt --check'
check "cargo fmt --check (pkrs-sock)" sh -c 'cd tools/pkrs-sock && cargo fmt --check'
check "cargo fmt --check (pkrs-cputime)" sh -c 'cd tools/pkrs-cputime && cargo fmt --check'
check "cargo clippy is clean (pkrs-cputime)" \
	sh -c 'cd tools/pkrs-cputime && cargo clippy -q --all-targets -- -D warnings'
check "every figure in README.md and Documentation/reports is what the committed logs give (make reports-check)" \
	make -s reports-check
check "make html builds the documentation without warnings" make html
check "cargo clippy is clean (pkrs-pktgen)" \
	sh -c 'cd tools/pkrs-pktgen && cargo clippy -q --all-targets -- -D warnings'
check "cargo clippy is clean (pkrs-sock)" \
	sh -c 'cd tools/pkrs-sock && cargo clippy -q --all-targets -- -D warnings'
check "cargo clippy is clean (samples/bpf tools)" \
	sh -c 'cd samples/bpf/tools && cargo clippy -q --all-targets -- -D warnings'
samples_build() { make samples >"$out/samples.log" 2>&1 && no_warnings "$out/samples.log"; }
check "make samples builds the XDP programs and their tools without warnings" samples_build

# --- kbuild tree resolution ---------------------------------------------------
expect_fail() { # expect_fail TEXT CMD...: CMD fails and says TEXT
	local text=$1; shift
	! "$@" >"$out/expect.log" 2>&1 && grep -q -- "$text" "$out/expect.log"
}
check "make kbuildkdir=<missing dir> fails with a reason" \
	expect_fail "kbuildkdir=/nonexistent/tree: no such directory" make kbuildkdir=/nonexistent/tree
norust=$(mktemp -d); printf 'all:\n' >"$norust/Makefile"; echo CONFIG_MODULES=y >"$norust/.config"
check "make kbuildkdir=<tree without Rust> fails with a reason" \
	expect_fail "configured without CONFIG_RUST=y" make kbuildkdir="$norust"
echo CONFIG_RUST=y >>"$norust/.config"
check "make kbuilddir=<Rust tree not built> fails with a reason" \
	expect_fail "no Rust metadata" make kbuilddir="$norust"
rm -rf "$norust"
copy=$(mktemp -d)
git ls-files -z | xargs -0 cp --parents -t "$copy"
sel() {
	(cd "$copy" && sed 's/^CONFIG_PAGE_BENCH01=m/CONFIG_PAGE_BENCH01=n/' config.default >.config &&
		make KDIR="$kdir" >build.log 2>&1 &&
		grep -q "building against kbuildkdir=$kdir" build.log &&
		[ -f kernel/lib/time_bench.ko ] && [ ! -f kernel/mm/page_bench01.ko ])
}
check "KDIR= alias works and CONFIG_PAGE_BENCH01=n in .config skips the module" sel
inst() {
	(cd "$copy" && make KDIR="$kdir" INSTALL_MOD_PATH="$copy/root" install >install.log 2>&1 &&
		[ -n "$(find "$copy/root/lib/modules" -path '*/extra/*' -name time_bench.ko)" ])
}
check "make install puts the modules under /lib/modules/<release>/extra" inst
ra() { (cd "$copy" && make KDIR="$kdir" rust-analyzer >ra.log 2>&1 && grep -q time_bench_main.rs rust-project.json); }
check "make rust-analyzer writes rust-project.json with the modules' crates" ra
cln() { (cd "$copy" && make KDIR="$kdir" clean >clean.log 2>&1 && [ -z "$(find kernel -name '*.ko' -o -name '*.o')" ]); }
check "make clean removes the build output" cln
rm -rf "$copy"

# --- module tests in the QEMU test box ---------------------------------------
log=$out/testbox-foundation.log
boot "test box boots and runs the foundation scenario" "$log" scripts/testbox.sh \
	--kdir "$kdir" --scenario tests/guest/foundation.sh
c() { local name=$1; shift; check "$name" "$pkrs_check" "$@"; }
baselines=(--expect for_loop --expect atomic_inc --expect lock)
# The whole-run check (testbox.sh, pkrs-check box) fails a run for
# trouble no step's check sees; a clean run passes.
box_fails() {
	local why=$1 log=$out/testbox-box-$1.log
	! scripts/testbox.sh --kdir "$kdir" --env TROUBLE="$why" --scenario tests/guest/box-check.sh \
		--log "$log" >/dev/null 2>"$log.err" && grep -q "$2" "$log.err"
}
boot "test box passes a clean run (the whole-run check)" "$out/testbox-box-none.log" scripts/testbox.sh \
	--kdir "$kdir" --env TROUBLE=none --scenario tests/guest/box-check.sh
check "test box fails a run with a kernel warning after its last step" box_fails after "suspicious RCU usage"
check "test box fails a run that leaves the kernel tainted W" box_fails taint "(bit 9 of"
check "test box fails a run whose scenario exits non-zero" box_fails exit "the scenario exited 3"
c "time_bench loads with defaults and prints one valid line per test" bench "$log" time_bench.default \
	--module time_bench --loops 20000 "${baselines[@]}" \
	--concurrent for_loop_concurrent:2 --concurrent atomic_inc_shared_concurrent:2
c "time_bench KUnit tests pass" kunit "$log" time_bench.default --suite pkrs_time_bench --min 6
c "rmmod time_bench" ok "$log" time_bench.rmmod
c "time_bench loops=0 is rejected with EINVAL" rejected "$log" time_bench.loops0 --reason "invalid loops=0"
c "time_bench loops=999 (under 1000 invocations) is rejected" rejected "$log" time_bench.loops999 --reason "invalid loops=999"
c "time_bench loops above U32_MAX is rejected" rejected "$log" time_bench.loops_u32max --reason "invalid for parameter \`loops'"
c "time_bench parallel_cpus above online CPUs is rejected" rejected "$log" time_bench.cpus --reason "invalid parallel_cpus=64"
c "time_bench parallel_cpus=64: 8 refused loads leave no module, debugfs entry or page behind" ok "$log" time_bench.refused_clean
c "page_bench01 loads with defaults and prints one valid line per test" bench "$log" page_bench01.default \
	--module page_bench01 --loops 20000 "${baselines[@]}" --expect single_page_alloc_free \
	--expect alloc_pages_order_step:0-5 --expect put_order_step:0-5
c "rmmod page_bench01" ok "$log" page_bench01.rmmod
c "page_bench01 max_order=10 (MAX_PAGE_ORDER) runs every order" bench "$log" page_bench01.max_order \
	--module page_bench01 --loops 2000 --expect alloc_pages_order_step:0-10
c "page_bench01 loops=0 is rejected with EINVAL" rejected "$log" page_bench01.loops0 --reason "invalid loops=0"
c "page_bench01 loops above U32_MAX is rejected" rejected "$log" page_bench01.loops_u32max --reason "invalid for parameter \`loops'"
c "page_bench01 max_order above MAX_PAGE_ORDER is rejected" rejected "$log" page_bench01.order11 --reason "invalid max_order=11"
c "page_bench01 max_order=11: 8 refused loads leave no module, debugfs entry or page behind" ok "$log" page_bench01.refused_clean
left() { grep -q '^@@PKRS-MODULES-LEFT 0$' "$log"; }
check "no module is left loaded" left

# --- page_bench02..05 in the test box ------------------------------------------
log=$out/testbox-page-bench.log
boot "test box boots and runs the page_bench scenario" "$log" scripts/testbox.sh --kdir "$kdir" --scenario tests/guest/page-bench.sh
c "the leak check catches 16 pages kept per load (128 over its 8 loads)" ok "$log" leak_check.catches
pow2=1,2,4,8,16,32,64,128,256,512,1024
m=page_bench02
c "$m loads with defaults and prints one valid line per test" bench "$log" $m.default \
	--module $m --loops 20000 "${baselines[@]}" --expect outstanding_alloc_free:$pow2
c "rmmod $m" ok "$log" $m.rmmod
c "$m page_order=3 max_outstanding=100 steps 1..64 then 100" bench "$log" $m.order3 \
	--module $m --loops 2000 --expect outstanding_alloc_free:1,2,4,8,16,32,64,100
c "$m loads and unloads again for the leak check" ok "$log" $m.leak.load $m.leak.rmmod
c "$m leaks no page (free pages before/after 8 loads)" ok "$log" $m.leak
c "$m loops=0 is rejected with EINVAL" rejected "$log" $m.loops0 --reason "invalid loops=0"
c "$m page_order above MAX_PAGE_ORDER is rejected" rejected "$log" $m.order11 --reason "invalid page_order=11"
c "$m max_outstanding=0 is rejected" rejected "$log" $m.outstanding0 --reason "invalid max_outstanding=0"
c "$m max_outstanding over 256 MiB is rejected" rejected "$log" $m.outstanding_big --reason "invalid max_outstanding=8192"
m=page_bench03
c "$m runs on all CPUs and on parallel_cpus=1, with per-CPU and Sum lines" bench "$log" $m.default \
	--module $m --loops 20000 "${baselines[@]}" \
	--concurrent alloc_free_all_cpus:2 --concurrent alloc_free_parallel_cpus:1
c "rmmod $m" ok "$log" $m.rmmod
c "$m parallel_cpus=0 page_order=2 runs on every online CPU" bench "$log" $m.all \
	--module $m --loops 5000 --concurrent alloc_free_parallel_cpus:2
c "$m loads and unloads again for the leak check" ok "$log" $m.leak.load $m.leak.rmmod
c "$m leaks no page (free pages before/after 8 loads)" ok "$log" $m.leak
c "$m loops=0 is rejected with EINVAL" rejected "$log" $m.loops0 --reason "invalid loops=0"
c "$m page_order above MAX_PAGE_ORDER is rejected" rejected "$log" $m.order11 --reason "invalid page_order=11"
c "$m parallel_cpus above online CPUs is rejected" rejected "$log" $m.cpus --reason "invalid parallel_cpus=64"
m=page_bench04_bulk
bulk=1,8,16,32,64
c "$m loads with defaults: single, bulk and bulk+release for sizes $bulk" bench "$log" $m.default \
	--module $m --loops 20000 "${baselines[@]}" --expect alloc_pages_single:$bulk \
	--expect alloc_pages_bulk:$bulk --expect alloc_pages_bulk_release:$bulk
c "rmmod $m" ok "$log" $m.rmmod
c "$m max_bulk=512 runs bulk sizes up to 512" bench "$log" $m.max512 \
	--module $m --loops 2000 --expect alloc_pages_bulk:$bulk,128,256,512
c "$m loads and unloads again for the leak check" ok "$log" $m.leak.load $m.leak.rmmod
c "$m leaks no page (free pages before/after 8 loads)" ok "$log" $m.leak
c "$m loops=0 is rejected with EINVAL" rejected "$log" $m.loops0 --reason "invalid loops=0"
c "$m max_bulk=0 is rejected" rejected "$log" $m.bulk0 --reason "invalid max_bulk=0"
c "$m max_bulk=513 is rejected" rejected "$log" $m.bulk513 --reason "invalid max_bulk=513"
m=page_bench05_cross_cpu
sides() { local s; for s in same_cpu_alloc same_cpu_free cross_cpu_alloc cross_cpu_free cross_cpu_pipelined; do echo "--expect $s:$1"; done; }
c "$m loads with defaults: same-CPU, cross-CPU and pipelined lines" bench "$log" $m.default \
	--module $m --loops 20000 "${baselines[@]}" $(sides 256)
c "rmmod $m" ok "$log" $m.rmmod
c "$m alloc_cpu=1 free_cpu=0 ring_size=1" bench "$log" $m.swap --module $m --loops 5000 $(sides 1)
c "$m loads and unloads again for the leak check" ok "$log" $m.leak.load $m.leak.rmmod
c "$m leaks no page (free pages before/after 8 loads)" ok "$log" $m.leak
c "$m loops=0 is rejected with EINVAL" rejected "$log" $m.loops0 --reason "invalid loops=0"
c "$m alloc_cpu not online is rejected" rejected "$log" $m.offline --reason "invalid alloc_cpu=64"
c "$m free_cpu equal to alloc_cpu is rejected" rejected "$log" $m.samecpu --reason "invalid free_cpu=0"
c "$m ring_size not a power of two is rejected" rejected "$log" $m.ring100 --reason "invalid ring_size=100"
c "$m ring_size above 4096 is rejected" rejected "$log" $m.ring8192 --reason "invalid ring_size=8192"
c "$m ring_size=100: 8 refused loads leave no module, debugfs entry or page behind" ok "$log" $m.refused_clean
check "no page_bench module is left loaded" left

# --- page_pool: page_pool_test (KUnit, load-time checks) and page_pool_bench ---
log=$out/testbox-page-pool.log
boot "test box boots and runs the page_pool scenario" "$log" scripts/testbox.sh --kdir "$kdir" --scenario tests/guest/page-pool.sh
m=page_pool_test
c "$m loads: both pools take and return pages with default parameters" ok "$log" $m.default
c "KUnit pkrs_page_pool passes (counters, limit, drop with pages out, concurrent returns, DMA, pre-zero, bad parameters)" \
	kunit "$log" $m.default --suite pkrs_page_pool --min 11
c "no reaper thread runs while no dropped pool waits" ok "$log" $m.no_reaper_thread
c "a pool dropped with pages out is freed only after they are back, with a warning meanwhile" \
	logged "$log" $m.default "page_pool destroy: dropped with 3 pages out" "page_pool destroy: 1 pages still out"
c "debugfs shows the resident pool's counters (50 cached, 50 through the ring, none out)" ok "$log" $m.stats
c "rmmod $m (the resident pool and its reaper go)" ok "$log" $m.rmmod
c "rmmod $m with its debugfs stats file held open: refused or safe, and unloads once it is closed" ok "$log" $m.held_open
c "$m loads and unloads again for the leak check" ok "$log" $m.leak.load $m.leak.rmmod
c "$m leaks no page (free pages before/after 8 loads)" ok "$log" $m.leak
c "$m pool_flags=3: DMA-mapped pools for the virtio NIC, synced for the device" ok "$log" $m.dma
c "$m pool_flags=256 (pre-zeroing): fresh pages of the native pool read as zero at order 0, 3 and 10" \
	logged "$log" $m.prezero0 "prezero: rs pool, order 0: 8 fresh pages read as zero"
c "$m pre-zeroing at order 3" logged "$log" $m.order3 "prezero: rs pool, order 3: 8 fresh pages read as zero"
c "$m pre-zeroing at order 10" logged "$log" $m.prezero10 "prezero: rs pool, order 10: 8 fresh pages read as zero"
c "a pool order above MAX_PAGE_ORDER is rejected with EINVAL" rejected "$log" $m.order11 --reason "invalid parameters: order above MAX_PAGE_ORDER"
c "a pool size of 0 is rejected" rejected "$log" $m.size0 --reason "pool_size must be 1 to 32768 (order 0, pool_size 0,"
c "a pool size of 40000 is rejected" rejected "$log" $m.size40000 --reason "pool_size must be 1 to 32768 (order 0, pool_size 40000,"
c "DMA_MAP without a device is rejected" rejected "$log" $m.nodev --reason "DMA_MAP needs a device"
c "DMA_SYNC_DEV without DMA_MAP is rejected" rejected "$log" $m.syncnomap --reason "DMA_SYNC_DEV needs DMA_MAP"
c "$m pool_size=40000, pool_flags=2: 8 refused loads leave no module, debugfs entry or page behind" ok "$log" $m.size40000.clean $m.syncnomap.clean
c "DMA pools dropped with 16 pages out each, the NIC unbound, the pages back at rmmod, the NIC bound again" \
	ok "$log" $m.hold $m.hold.unbind $m.hold.rmmod $m.hold.rebind
c "the native pool unmapped its 16 pages still out when it was dropped" logged "$log" $m.hold \
	"page_pool held: dropped with 16 pages out (16 unmapped now)"
c "hold_out above 4096 is rejected" rejected "$log" $m.hold.bad --reason "invalid hold_out=5000"
c "$m hold_out=5000: 8 refused loads leave no module, debugfs entry or page behind" ok "$log" $m.hold.bad.clean
c "failing page allocations (fail_page_alloc): both pools return ENOMEM, counters stay right" ok "$log" $m.fail $m.fail.rmmod
c "the failure check ran for both pools" logged "$log" $m.fail \
	"alloc_failure: rs pool: 8 allocations failed with ENOMEM; hold 0 release 0 outstanding 0, alloc_slow 0" \
	"alloc_failure: c pool: 8 allocations failed with ENOMEM; hold 0 release 0 outstanding 0,"
m=page_pool_bench
pp=()
for k in rs c; do
	for ctx in no-softirq softirq dma; do
		for t in 1 2 3; do pp+=(--expect $k-$ctx-page_pool0$t); done
	done
	pp+=(--expect $k-cross_cpu_alloc --concurrent $k-cross_cpu_return:1)
done
c "$m prints one valid line per test and pool (01-03, softirq, DMA, cross-CPU)" bench "$log" $m.default \
	--module $m --loops 20000 "${baselines[@]}" "${pp[@]}"
# Physics, in one boot: a page from the pool's cache costs a fraction of
# one from the page allocator (about a tenth under TCG).
for k in rs c; do
	c "$m: the $k pool's fast path is at least 3 times cheaper than the page allocator's (same boot)" \
		cheaper "$log" $m.default $k-no-softirq-page_pool01 $m.page_alloc single_page_alloc_free --by 3
done
c "rmmod $m" ok "$log" $m.rmmod
c "$m loads and unloads again for the leak check" ok "$log" $m.leak.load $m.leak.rmmod
c "$m leaks no page (free pages before/after 8 loads)" ok "$log" $m.leak
c "$m loops=0 is rejected with EINVAL" rejected "$log" $m.loops0 --reason "invalid loops=0"
c "$m returning_cpus above the other online CPUs is rejected" rejected "$log" $m.cpus --reason "invalid returning_cpus=2"
c "$m returning_cpus=2: 8 refused loads leave no module, debugfs entry or page behind" ok "$log" $m.cpus.clean
c "$m loops=1000 returning_cpus=1: the cross-CPU test runs at its smallest size" bench "$log" $m.cross1000 \
	--module $m --loops 1000 --expect rs-cross_cpu_alloc --concurrent rs-cross_cpu_return:1 \
	--expect c-cross_cpu_alloc --concurrent c-cross_cpu_return:1
check "no page_pool module is left loaded" left

# --- one CPU: the defaults load, the tests needing a second CPU skipped --------
log=$out/testbox-one-cpu.log
boot "test box boots with one CPU and runs the one-cpu scenario" "$log" scripts/testbox.sh --kdir "$kdir" \
	--smp 1 --scenario tests/guest/one-cpu.sh
pp1=()
for k in rs c; do for ctx in no-softirq softirq dma; do for t in 1 2 3; do pp1+=(--expect $k-$ctx-page_pool0$t); done; done; done
c "one CPU: page_pool_bench with defaults runs every test but cross-CPU" bench "$log" onecpu.page_pool_bench \
	--module page_pool_bench --loops 2000 "${baselines[@]}" "${pp1[@]}"
c "one CPU: page_pool_bench says the cross-CPU test is skipped" logged "$log" onecpu.page_pool_bench \
	"cross_cpu: one CPU online, no other to return pages: skipped"
c "one CPU: page_bench05 with defaults runs the same-CPU test" bench "$log" onecpu.page_bench05 \
	--module page_bench05_cross_cpu --loops 2000 "${baselines[@]}" --expect same_cpu_alloc:256 --expect same_cpu_free:256
c "one CPU: page_bench05 says the cross-CPU tests are skipped" logged "$log" onecpu.page_bench05 \
	"cross_cpu: no other CPU online than 0: the cross-CPU tests are skipped"
c "one CPU: returning_cpus=1 named explicitly is rejected" rejected "$log" onecpu.returning1 --reason "invalid returning_cpus=1"
c "one CPU: free_cpu=1 named explicitly is rejected" rejected "$log" onecpu.free_cpu1 --reason "invalid free_cpu=1"
check "one CPU: no module is left loaded" left

# --- page_pool and page_bench tests again on the debug kernel -------------------
# The debug variant of the default tree (DEBUG_VM, DEBUG_PAGEALLOC,
# DMA_API_DEBUG) and the modules built with their debug assertions: a page
# used after it was freed, a bad page state or a DMA mapping misused stops
# the run here. Built on first use (about 10 minutes), then cached.
dbg_log=$out/kernel-tree-debug.log
if dbg=$(scripts/kernel-tree.sh --variant debug 2>"$dbg_log"); then
	pass "debug kernel tree (scripts/kernel-tree.sh --variant debug)"
	dcopy=$(mktemp -d)
	git ls-files -z | xargs -0 cp --parents -t "$dcopy"
	dbuild() {
		(cd "$dcopy" && sed 's/^CONFIG_PKRS_DEBUG=n/CONFIG_PKRS_DEBUG=y/' config.default >.config &&
			grep -q '^CONFIG_PKRS_DEBUG=y' .config && make KDIR="$dbg" >build.log 2>&1 &&
			no_warnings build.log) || { tail -n 20 "$dcopy/build.log"; return 1; }
	}
	check "the modules build against the debug kernel with debug assertions on" dbuild
	for sc in page-pool page-bench; do
		log=$out/testbox-debug-$sc.log
		boot "debug kernel: test box runs the $sc scenario" "$log" "$dcopy/scripts/testbox.sh" \
			--kdir "$dbg" --scenario tests/guest/$sc.sh
		c "debug kernel: no BUG, WARN, bad page state or DMA-API report in the $sc run" clean "$log"
	done
	log=$out/testbox-debug-page-pool.log
	c "debug kernel: KUnit pkrs_page_pool passes" kunit "$log" page_pool_test.default --suite pkrs_page_pool --min 11
	c "debug kernel: page_pool_test loads, shows its counters, fails allocations cleanly, unloads" ok "$log" \
		page_pool_test.default page_pool_test.stats page_pool_test.rmmod page_pool_test.dma \
		page_pool_test.order3 page_pool_test.fail page_pool_test.fail.rmmod
	c "debug kernel: page_pool_bench runs every test on both pools" bench "$log" page_pool_bench.default \
		--module page_pool_bench --loops 20000 "${baselines[@]}" "${pp[@]}"
	c "debug kernel: page_pool_test and page_pool_bench leak no page" ok "$log" page_pool_test.leak page_pool_bench.leak
	c "debug kernel: pools dropped with pages out, NIC unbound, pages back: DMA-API error count unchanged" ok "$log" \
		page_pool_test.hold page_pool_test.hold.unbind page_pool_test.hold.rmmod page_pool_test.hold.dma_errors
	log=$out/testbox-debug-page-bench.log
	c "debug kernel: page_bench02..05 run and leak no page" ok "$log" \
		page_bench02.default page_bench03.default page_bench04_bulk.default page_bench05_cross_cpu.default \
		page_bench02.leak page_bench03.leak page_bench04_bulk.leak page_bench05_cross_cpu.leak
else
	dbg= dcopy=
	fail "debug kernel tree (scripts/kernel-tree.sh --variant debug)" "$(tail -n 15 "$dbg_log")"
fi

# --- the kernel's C page_pool bench, the reference column --------------------
ub_ko=
ubuild() { ub_ko=$(scripts/upstream-bench.sh --kdir "$kdir") && [ -f "$ub_ko" ]; }
check "upstream C page_pool bench builds from the kernel tree" ubuild
log=$out/testbox-upstream-bench.log
if [ -z "$ub_ko" ]; then
	fail "test box runs the upstream bench scenario" "no bench_page_pool.ko to load"
else
	boot "test box runs the upstream bench scenario" "$log" scripts/testbox.sh --kdir "$kdir" \
		--ko "$ub_ko" --scenario tests/guest/upstream-bench.sh
fi
# for_loop and atomic_inc run loops * 10 times: --loops is a minimum.
c "bench_page_pool loads and prints one valid line per test" bench "$log" upstream.default \
	--module bench_page_pool --loops 20000 "${baselines[@]}" --expect no-softirq-page_pool01 \
	--expect no-softirq-page_pool02 --expect no-softirq-page_pool03
c "rmmod bench_page_pool" ok "$log" upstream.rmmod

# --- samples/bpf: the XDP programs and their tools on the virtio_net pair ----
log=$out/testbox-xdp.log
xb=$top/samples/bpf/tools/target/release
boot "test box boots and runs the XDP scenario" "$log" scripts/testbox.sh --kdir "$kdir" \
	--env XDP_BIN="$xb" --bin "$xb/xdp_bench01_mem_access_cost" --bin "$xb/xdp_ddos01_blacklist" \
	--bin "$xb/xdp_ddos01_blacklist_cmdline" --scenario tests/guest/xdp.sh
b=xdp_bench01_mem_access_cost d=xdp_ddos01_blacklist
c "$b: an unknown device is an error (exit 1)" ok "$log" bench.nodev
c "$b: a bad --action, --swapmac without XDP_TX are usage errors (exit 2)" ok "$log" bench.badaction bench.badswapmac
c "$b: lo cannot do native XDP: error, exit 1, nothing left (generic mode attaches after)" ok "$log" \
	bench.nonative bench.lo_skb
c "$b XDP_DROP: counts every frame pktgen sent, pps in range, none reach the stack" ok "$log" bench.drop
c "$b XDP_DROP --read: counts every frame, mem column read" ok "$log" bench.drop_read
c "$b XDP_PASS: counts every frame and they reach the IPv4 stack" ok "$log" bench.pass
c "$b XDP_TX --swapmac: every frame comes back to the sender" ok "$log" bench.tx
c "$b --skb-mode: generic XDP drops every frame" ok "$log" bench.skb
c "$b: SIGTERM removes the program and says so" ok "$log" bench.sigterm
c "$d: no bpffs mounted is an error for the loader and the cmdline tool" ok "$log" \
	ddos.nobpffs ddos.cmdline_nobpffs
c "$d: an unknown device, lo without native XDP are errors; nothing pinned or attached" ok "$log" \
	ddos.nodev ddos.nonative ddos.nopins
c "${d}_cmdline: a malformed IP or port is a usage error (exit 2)" ok "$log" \
	ddos.badip ddos.badip2 ddos.badport ddos.badport2
c "$d: loads, pins its maps under /sys/fs/bpf/$d/" ok "$log" ddos.load
c "${d}_cmdline --add (twice) and --list agree" ok "$log" ddos.add ddos.add_again ddos.list
c "$d drops exactly the listed source and port; --stats counts every frame sent" ok "$log" ddos.traffic
c "$d: a port entry is per protocol (UDP to listed TCP port 80 passes); TCP to port 80 is dropped and counted" ok "$log" ddos.tcp
c "$d: SIGTERM removes the program, the maps stay pinned" ok "$log" ddos.sigterm
c "$d: a second run reuses the pinned maps; --del takes an entry out" ok "$log" ddos.reuse
c "${d}_cmdline --del of an entry not listed fails" ok "$log" ddos.del_missing
c "$d --skb-mode --sec: detaches by itself" ok "$log" ddos.sec_skb

# --- the XDP driver: virtio_xdp with both pools, fed from outside the guest ---
# tests/guest/xdp-driver.sh with the host-side generator (--gen); one
# thread for the vCPUs (--tcg-single: programs are replaced under traffic,
# which multi-threaded TCG turns into an oops, whatever the driver).
drv_extra=$out/driver-extra
mkdir -p "$drv_extra/bpf"
check "the driver tests' XDP programs build (tests/bpf)" make -s -C tests/bpf O="$drv_extra/bpf"
drv_box=(--tcg-single --gen --gen-bin "$pktgen" --env BPF=/bpf --env XDP_BIN="$xb"
	--bin /usr/bin/ip --bin /usr/sbin/ethtool --bin /usr/bin/nc.openbsd
	--bin "$xb/xdp_bench01_mem_access_cost" --bin "$xb/xdp_redirect_map"
	--bin "$xb/xdp_ddos01_blacklist" --bin "$xb/xdp_ddos01_blacklist_cmdline"
	--bin "$sock" --env SOCK_BIN="$sock"
	--extra "$drv_extra" --scenario tests/guest/xdp-driver.sh)
# driver_checks LOG WHAT: the checks of one run of the scenario.
driver_checks() {
	local log=$1 w=$2
	c "$w: pool=x is rejected with EINVAL and a reason" rejected "$log" drv.bad_pool --reason "invalid pool=x"
	c "$w: copybreak=4097 is rejected" rejected "$log" drv.bad_copybreak --reason "invalid copybreak=4097"
	c "$w: floor=2 is rejected" rejected "$log" drv.bad_floor --reason "invalid floor=2"
	c "$w: 8 refused loads leave no module, driver, debugfs entry or page behind" ok "$log" \
		drv.bad_clean drv.bad_no_driver
	c "$w: loads and binds two NICs" ok "$log" drv.load drv.bind
	c "$w: a normal NIC: ethtool -i, ping, UDP to the peer's socket intact" ok "$log" nic.info nic.ping nic.udp
	c "$w: 4 MiB over TCP each way, byte-identical" ok "$log" nic.tcp
	c "$w: link down/up, then ping" ok "$log" nic.down nic.up nic.ping_after_up
	c "$w: MTU 3000 carries 2900-byte pings; an MTU above one page is refused" ok "$log" nic.mtu nic.mtu_too_big
	c "$w: XDP_DROP counts every frame the generator sent, none reaches IPv4" ok "$log" xdp.drop
	c "$w: the pool's counters in debugfs" ok "$log" pool.debugfs
	c "$w: XDP_PASS: IPv4 InReceives and a UDP socket see every frame" ok "$log" xdp.pass
	c "$w: XDP_TX: every frame back at the generator MAC-swapped; flat out, sent = back + ring-full drops" ok "$log" xdp.tx
	c "$w: XDP_ABORTED and return 42: dropped, counted, one xdp_exception event each; 42 reported" ok "$log" \
		xdp.aborted xdp.ret42
	c "$w: XDP_REDIRECT through a devmap out of the other virtio_xdp NIC reaches the peer NIC" ok "$log" xdp.redirect
	c "$w: XDP_TX frames counted in tx_packets and tx_bytes, byte for byte what the generator got back" ok "$log" \
		xdp.tx_bytes
	c "$w: TX completions reaped at once (MSG_ZEROCOPY releases within 200 ms, nothing arriving), and by ndo_stop" \
		ok "$log" tx.reap
	c "$w: adjust_head past the headroom fails; head, tail and metadata room work" ok "$log" \
		xdp.head_past xdp.head_ok xdp.tail xdp.meta
	c "$w: runts and frames above the MTU dropped and counted" ok "$log" bad.runt bad.oversize
	c "$w: malformed and unusual frames pass without harm" ok "$log" bad.malformed
	c "$w: programs replaced, removed, link down/up under traffic" ok "$log" load.replace
	c "$w: unbound under traffic, bound again, works" ok "$log" load.unbind
	c "$w: unbound and bound in a loop while QEMU flaps the link: no link work after unregister, works after" \
		ok "$log" load.flap
	c "$w: refill failures injected (fail_function): counted, no frame lost after" ok "$log" fail.refill
	c "$w: RX interrupts lost (fail_function on the re-arm): the watchdog polls, every frame received" \
		ok "$log" irq.lost
	c "$w: samples/bpf xdp_bench01's total is exactly the generator's count and the NIC's" ok "$log" sample.bench
	c "$w: samples/bpf xdp_ddos01_blacklist: every frame kind gets its verdict; the NIC's counters and IPv4 agree" \
		ok "$log" sample.ddos
	c "$w: rmmod under traffic; two more load/traffic/unload cycles leak no page" ok "$log" drv.rmmod drv.leak
	c "$w: no BUG, WARN, Oops or bad page state in the run" clean "$log"
}
for pool in rs c; do
	log=$out/testbox-driver-$pool.log
	boot "test box runs the XDP driver scenario, pool=$pool" "$log" scripts/testbox.sh --kdir "$kdir" \
		--env POOL=$pool "${drv_box[@]}"
	driver_checks "$log" "virtio_xdp pool=$pool"
done

# Every DMA mapping bounced (--iommu, swiotlb=force): the device's bytes
# reach a page only where the driver syncs them for the CPU. The generator
# checks each frame that comes back (XDP_TX, and the stack's ICMP echo
# replies) byte for byte and in order, with both pools.
log=$out/testbox-bounce.log
boot "test box runs the bounce-buffer scenario (swiotlb=force), both pools" "$log" scripts/testbox.sh \
	--kdir "$kdir" --iommu --append swiotlb=force --tcg-single --gen --gen-bin "$pktgen" --env BPF=/bpf \
	--bin /usr/bin/ip --bin /usr/sbin/ethtool --extra "$drv_extra" --scenario tests/guest/xdp-bounce.sh
c "swiotlb=force: every DMA mapping goes through the software IO TLB" ok "$log" bounce.on
for pool in rs c; do
	w="virtio_xdp pool=$pool, swiotlb=force"
	c "$w: binds, its RX pages mapped through the IO TLB" ok "$log" bounce.$pool.up
	c "$w: XDP_TX sends back each frame byte for byte as received, in order" ok "$log" bounce.$pool.tx
	c "$w: the stack answers every ICMP echo (98, 1000, 1514 bytes) with the bytes received" ok "$log" \
		bounce.$pool.stack
	c "$w: the same through XDP_PASS" ok "$log" bounce.$pool.pass
	c "$w: unloads" ok "$log" bounce.$pool.rmmod
done
c "swiotlb=force: no BUG, WARN, Oops or bad page state in the run" clean "$log"

# --- the XDP benchmark, short (make run BENCH=xdp, one second per case) --------
# Both device configurations, one round: every run must prove its verdict
# (the generator's, the NIC's, the program's, the driver's, the stack's
# and the tracepoints' counts agree; pkrs-check's Run::check). The like
# configuration boots twice (--boots 2), and its log must hold both boots
# whole, each with every row.
xb_log=$out/xdp-bench-short.log
xb_like=${xb_log%.log}-like.log
xb_drivers=rs,c,virtio_net,rs-floor,rs/generic
xb_cases=none,drop,drop_read,tx,pass,redirect
check "XDP benchmark, short: scripts/xdp-bench.sh runs every case of the default configuration (one boot) and reports" \
	scripts/xdp-bench.sh --kdir "$kdir" --cfg default --boots 1 --log "$xb_log" XB_RUNS=1 XB_SECS=1 "XB_DRIVERS=${xb_drivers//,/ }"
check "XDP benchmark, short (default configuration): every driver and case, every run's counts agree" \
	"$pkrs_check" xdp-report "$xb_log" --check "$xb_drivers" "$xb_cases" --boots 1
check "XDP benchmark, short: the like configuration in two boots, one log" \
	scripts/xdp-bench.sh --kdir "$kdir" --cfg like --boots 2 --log "$xb_like" XB_RUNS=1 XB_SECS=1
check "XDP benchmark, short (like for like: both drivers offered the same features): both boots in the log, every driver and case in each, every run's counts agree" \
	"$pkrs_check" xdp-report "$xb_like" --check rs,c,virtio_net "$xb_cases" --boots 2
check "XDP benchmark, like for like: virtio_net negotiated no mergeable buffers and no control queue" \
	"$pkrs_check" xdp-features "${xb_log%.log}-like.log" --driver virtio_net --without 15,17

# --- the XDP RX core's second backend: xdp_cqsim's simulated CQ NICs ------------
# The same shared steps (tests/guest/xdp-lib.sh) with the simulated
# device as the sender, then its own: ring wraps, a full CQ, a full XDP
# SQ, REDIRECT between its NICs, rmmod under traffic, leaks.
sim_box=(--tcg-single --env BPF=/bpf --env XDP_BIN="$xb" --bin /usr/bin/ip --bin /usr/sbin/ethtool
	--bin /usr/bin/nc.openbsd --bin "$xb/xdp_redirect_map" --extra "$drv_extra"
	--scenario tests/guest/xdp-sim.sh)
# sim_checks LOG WHAT: the checks of one run of the sim scenario.
sim_checks() {
	local log=$1 w=$2
	c "$w: rq=100 is rejected with EINVAL and a reason" rejected "$log" sim.bad_rq \
		--reason "invalid rq=100: a power of two from 64 to 4096"
	c "$w: cq=8 is rejected" rejected "$log" sim.bad_cq --reason "invalid cq=8"
	c "$w: sq=8192 is rejected" rejected "$log" sim.bad_sq --reason "invalid sq=8192"
	c "$w: nics=5 is rejected" rejected "$log" sim.bad_nics --reason "invalid nics=5"
	c "$w: pool=x is rejected" rejected "$log" sim.bad_pool --reason "invalid pool=x"
	c "$w: floor=2 is rejected" rejected "$log" sim.bad_floor --reason "invalid floor=2"
	c "$w: hw_cpu=64 is rejected" rejected "$log" sim.bad_hw_cpu --reason "invalid hw_cpu=64: CPU 64 is not online"
	c "$w: 8 refused loads leave no module, netdev, debugfs entry or page behind" ok "$log" \
		sim.bad_clean sim.bad_no_netdev
	c "$w: loads with two NICs; ethtool -i names the driver" ok "$log" sim.load sim.info
	c "$w: XDP_DROP counts every frame the device sent (78 wraps of the CQ's owner bit), none reaches IPv4" \
		ok "$log" xdp.drop
	c "$w: the pool's counters in debugfs" ok "$log" pool.debugfs
	c "$w: XDP_PASS: IPv4 InReceives and a UDP socket see every frame" ok "$log" xdp.pass
	c "$w: XDP_TX: every frame back at the device MAC-swapped; flat out, sent = back + SQ-full drops" ok "$log" xdp.tx
	c "$w: XDP_ABORTED and return 42: dropped, counted, one xdp_exception event each" ok "$log" xdp.aborted xdp.ret42
	c "$w: adjust_head past the headroom fails; head, tail and metadata room work" ok "$log" \
		xdp.head_past xdp.head_ok xdp.tail xdp.meta
	c "$w: runts and frames above the MTU dropped and counted" ok "$log" bad.runt bad.oversize
	c "$w: programs replaced, removed, link down/up while the device sends" ok "$log" load.replace
	c "$w: refill failures injected: counted, no frame lost after" ok "$log" fail.refill
	c "$w: XDP_REDIRECT from cqsim0 through a devmap out of cqsim1, every frame sent by its device" ok "$log" sim.redirect
	c "$w: rmmod while the device sends" ok "$log" sim.rmmod
	c "$w: a full CQ (16 for 256 buffers): every frame received or counted as dropped by the device" ok "$log" sim.cq_full
	c "$w: a full XDP SQ (16): sent + dropped = every frame, the device gets back what was sent" ok "$log" sim.sq_full
	c "$w: two load/traffic/unload cycles leak no page" ok "$log" sim.leak
	c "$w: no BUG, WARN, Oops or bad page state in the run" clean "$log"
}
for pool in rs c; do
	log=$out/testbox-sim-$pool.log
	boot "test box runs the simulated CQ NIC scenario, pool=$pool" "$log" scripts/testbox.sh --kdir "$kdir" \
		--env POOL=$pool "${sim_box[@]}"
	sim_checks "$log" "xdp_cqsim pool=$pool"
done

# The driver on the debug kernel, its NICs behind a virtio IOMMU (--viommu):
# the pools map pages through the DMA API, checked by DMA-API debug, with
# lockdep and DEBUG_PAGEALLOC on.
if [ -n "$dbg" ]; then
	for pool in rs c; do
		log=$out/testbox-debug-driver-$pool.log
		boot "debug kernel, vIOMMU: test box runs the XDP driver scenario, pool=$pool" "$log" \
			"$dcopy/scripts/testbox.sh" --kdir "$dbg" --viommu --env POOL=$pool --env DMA_DEBUG=1 \
			--env VIOMMU=1 --env PASS_RATE=2000 --env PASS_N=5000 "${drv_box[@]}"
		w="debug kernel, vIOMMU, pool=$pool"
		c "$w: the NICs are behind the IOMMU and the pools map their pages" ok "$log" drv.viommu
		c "$w: the pools map pages for the device" logged "$log" drv.bind "pages DMA-mapped by the pool"
		driver_checks "$log" "$w"
		c "$w: each slab allocation of a bind failed in turn (failslab): clean failure, nothing left, binds after" \
			ok "$log" load.bind_fail
		c "$w: DMA-API debug counted no error in the whole run" ok "$log" drv.dma_errors
	done
	for pool in rs c; do
		log=$out/testbox-debug-sim-$pool.log
		boot "debug kernel: test box runs the simulated CQ NIC scenario, pool=$pool" "$log" \
			"$dcopy/scripts/testbox.sh" --kdir "$dbg" --env POOL=$pool --env DMA_DEBUG=1 \
			--env PASS_RATE=2000 --env PASS_N=5000 "${sim_box[@]}"
		sim_checks "$log" "debug kernel, xdp_cqsim pool=$pool"
		c "debug kernel, xdp_cqsim pool=$pool: netconsole under XDP_TX load: budget-0 polls only reap TX, every message sent" \
			ok "$log" sim.netconsole
	done
	rm -rf "$dcopy"
else
	fail "the XDP driver on the debug kernel" "no debug kernel tree"
fi

# --- push_remote (issue 6): refusals, then a test box with an ssh server ------
. tests/push_remote.sh
finish
