# The test runner's helpers (sourced by tests/run.sh, and by tests/*.sh
# that can also run on their own). The caller sets $out (the log
# directory) and starts the counts: passed=0 failed=0 n=0.

pass() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; [ $# -gt 0 ] && printf '#   %s\n' "$@"; }
# check NAME CMD...: one test, passed when CMD exits 0; its output is kept
# in $out and shown on failure.
check() {
	local name=$1 clog=$out/check-$((n + 1)).log; shift
	if "$@" >"$clog" 2>&1; then pass "$name"; else fail "$name" "$(tail -n 15 "$clog")"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}
# boot NAME LOG TESTBOX [ARGS...]: one test, the test box (the script
# TESTBOX) runs a scenario to its end; its console goes to LOG.
boot() {
	local name=$1 log=$2 tb=$3; shift 3
	if "$tb" --smp 2 --timeout 900 --log "$log" "$@" >/dev/null 2>"$out/testbox.err"; then
		pass "$name"
	else
		fail "$name" "$(cat "$out/testbox.err")" "$(tail -n 20 "$log")"
	fi
}
