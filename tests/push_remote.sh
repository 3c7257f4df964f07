#!/usr/bin/env bash
# push_remote tests (issue 6): sourced by tests/run.sh, or run on its own
# (tests/push_remote.sh) while working on scripts/push_remote.sh.
#
# Refusals first (bad HOST, PORT, USER; nothing built), with a stand-in ssh
# that records any call. Then the real thing: the test box boots with an ssh
# server (dropbear; host key and authorised key made here), QEMU forwards a
# port of 127.0.0.1 to the guest's port 22, and make push_remote /
# clean_remote and scripts/push_remote.sh run against it.

if ! declare -F check >/dev/null; then
	# On its own: the runner's helpers, the tree, the build.
	set -uo pipefail
	top=$(cd "$(dirname "$0")/.." && pwd)
	cd "$top" || exit 1
	. scripts/lib.sh
	out=$top/tests/out/push
	rm -rf "$out"; mkdir -p "$out"
	passed=0 failed=0 n=0
	. tests/lib.sh
	kdir=$(scripts/kernel-tree.sh) || { fail "default kernel tree"; finish; }
	[ -f .config ] || cp config.default .config
	make kbuildkdir="$kdir" >"$out/build.log" 2>&1 || { fail "build"; finish; }
	pr_standalone=1
else
	pr_standalone=0
fi

pr=$(mktemp -d)
pr_log=$out/testbox-push.log
# The files a push copies: each module enabled in .config and built, and
# the pkrs-bench helper.
pr_files=$(( $(grep -c '\.o$' modules.order) + 1 ))
pr_rel=$(tr '\0' '\n' <kernel/lib/time_bench.ko | sed -n 's/^vermagic=\([^ ]*\).*/\1/p')

# --- refusals before any ssh: a stand-in ssh, scp, rsync record calls ------
mkdir -p "$pr/fakebin" "$pr/cwd"
for p in ssh scp rsync; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\nexit 255\n' "$p" "$pr" >"$pr/fakebin/$p"
	chmod +x "$pr/fakebin/$p"
done
# refused TEXT MAKEARGS...: make push_remote fails saying TEXT, calls no
# ssh/scp/rsync, and no file named pwned appears (repository, cwd, /tmp, ~).
refused() {
	local text=$1; shift
	rm -f "$pr/calls"
	if (cd "$pr/cwd" && PATH=$pr/fakebin:$PATH make -C "$top" push_remote "$@"); then
		echo "make succeeded"; return 1
	fi
	[ ! -e "$pr/calls" ] || { echo "ssh was called:"; cat "$pr/calls"; return 1; }
	local f
	for f in "$top/pwned" "$pr/cwd/pwned" /tmp/pwned "$HOME/pwned"; do
		[ ! -e "$f" ] || { echo "$f was created"; return 1; }
	done
	return 0
}
refused_says() { local text=$1; refused "$@" >"$pr/refused.log" 2>&1; local rc=$?; cat "$pr/refused.log"; [ $rc = 0 ] && grep -q -- "$text" "$pr/refused.log"; }
check "push_remote HOST='x; touch pwned' is refused as malformed, runs nothing" \
	refused_says "malformed HOST 'x; touch pwned'" HOST='x; touch pwned'
check "push_remote HOST='-oProxyCommand=touch pwned' is refused, runs nothing" \
	refused_says "malformed HOST" HOST='-oProxyCommand=touch pwned'
empty_host() { refused_says 'HOST is empty' HOST= && refused_says 'HOST is empty'; }
check "push_remote with an empty HOST (or none) is refused" empty_host
port_user() {
	refused_says 'malformed PORT' HOST=127.0.0.1 PORT='22; touch pwned' &&
		refused_says 'malformed USER' HOST=127.0.0.1 USER='root;touch pwned'
}
check "push_remote PORT='22; touch pwned' and USER='root;touch pwned' are refused" port_user
# At make's level: a make function, backticks or a newline in HOST or USER
# is neither expanded by make nor run by the recipe's shell.
make_level() {
	refused_says "malformed HOST" HOST='$(shell touch pwned)' &&
		refused_says "malformed HOST" HOST='`touch pwned`' &&
		refused_says "malformed HOST" HOST="x
touch pwned" &&
		refused_says "malformed USER" HOST=127.0.0.1 USER='$(shell touch pwned)' &&
		refused_says "malformed USER" HOST=127.0.0.1 USER='`touch pwned`'
}
check "push_remote HOST or USER with \$(shell ...), backticks or a newline: refused, nothing run" make_level
pr_copy=$pr/repo
mkdir -p "$pr_copy"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$pr_copy"
cp .config "$pr_copy/.config"
unbuilt() {
	rm -f "$pr/calls"
	! (cd "$pr_copy" && PATH=$pr/fakebin:$PATH make push_remote HOST=127.0.0.1 >"$pr/unbuilt.log" 2>&1)
	cat "$pr/unbuilt.log"
	grep -q 'no built module to push' "$pr/unbuilt.log" && [ ! -e "$pr/calls" ]
}
check "push_remote with no module built is refused before any ssh" unbuilt
no_strict() {
	rm -f "$pr/calls"
	! PATH=$pr/fakebin:$PATH scripts/push_remote.sh -o StrictHostKeyChecking=no 127.0.0.1 2>"$pr/shkc.log"
	cat "$pr/shkc.log"
	grep -q 'host-key checking stays on' "$pr/shkc.log" && [ ! -e "$pr/calls" ]
}
check "push_remote.sh refuses -o StrictHostKeyChecking=no" no_strict
# A remote that lies: a stand-in ssh answers the probe and the staging
# request with what PKRS_FAKE_PROBE and PKRS_FAKE_STAGE say; the script
# must refuse and go no further (no copy, no install).
mkdir -p "$pr/liar"
cat >"$pr/liar/ssh" <<LIAR
#!/bin/sh
echo "ssh \$*" >>"$pr/calls"
cat >/dev/null
case "\$*" in
*"sh -s -- probe") printf '%s\\n' "\$PKRS_FAKE_PROBE" ;;
*"sh -s -- stage") printf '%s\\n' "\$PKRS_FAKE_STAGE" ;;
*) exit 255 ;;
esac
LIAR
for p in scp rsync; do cp "$pr/fakebin/$p" "$pr/liar/$p"; done
chmod +x "$pr/liar/ssh"
# liar TEXT PROBE STAGE [OPTIONS]: push_remote.sh fails saying TEXT; ssh was
# asked nothing after the lie (the probe, and the stage if it got that
# far), scp and rsync nothing.
liar() {
	local text=$1 probe=$2 stage=$3; shift 3
	rm -f "$pr/calls"
	! PATH=$pr/liar:$PATH PKRS_FAKE_PROBE=$probe PKRS_FAKE_STAGE=$stage \
		scripts/push_remote.sh "$@" 127.0.0.1 2>"$pr/liar.log" >/dev/null
	cat "$pr/liar.log"; cat "$pr/calls"
	grep -q -- "$text" "$pr/liar.log" && ! grep -qv -- '-- probe$\|-- stage$' "$pr/calls"
}
good_probe="release=$pr_rel
rsync=no
scp=yes
tar=yes
depmod=yes
uid=0"
liars() {
	liar "unexpected answer" "release=7.2; rm -rf /" x &&
		liar "unexpected answer" "release=.." x --force &&
		liar "unexpected answer" "release=../../etc" x --force &&
		liar "runs kernel 6.1.0-99-amd64 but the modules are built for" \
			"${good_probe/release=$pr_rel/release=6.1.0-99-amd64}" x &&
		liar "unexpected staging directory" "$good_probe" "/tmp/pkrs-push.abc/../../etc" &&
		liar "unexpected staging directory" "$good_probe" "/tmp/pkrs-push.abc
/etc" &&
		liar "unexpected staging directory" "$good_probe" "/etc"
}
check "a remote answering a bad release or staging path is refused before any copy or install" liars
check "push_remote.sh -h prints the usage" sh -c 'scripts/push_remote.sh -h | grep -q -- "--delete"'

# --- the test box with an ssh server ------------------------------------------
mkdir -p "$pr/extra/etc/dropbear" "$pr/extra/root/.ssh"
pr_port=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	p=$((20000 + RANDOM % 40000))
	if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then pr_port=$p; break; fi
done
pr_qemu=
pr_setup() {
	[ -n "$pr_port" ] || { echo "no free port"; return 1; }
	dropbearkey -t ed25519 -f "$pr/extra/etc/dropbear/hostkey" >/dev/null &&
		ssh-keygen -q -t ed25519 -N '' -C push-test -f "$pr/id" &&
		cp "$pr/id.pub" "$pr/extra/root/.ssh/authorized_keys" || return 1
	# The test's own known_hosts: the guest's key for [127.0.0.1]:PORT.
	echo "[127.0.0.1]:$pr_port $(dropbearkey -y -f "$pr/extra/etc/dropbear/hostkey" |
		sed -n 's/^\(ssh-ed25519 [^ ]*\).*/\1/p')" >"$pr/known_hosts"
	: >"$pr/empty_known_hosts"
	setsid scripts/testbox.sh --kdir "$kdir" --timeout 1500 --ssh "$pr_port" \
		--bin "$(command -v dropbear || echo /usr/sbin/dropbear)" \
		--bin "$(command -v rsync)" --bin "$(command -v scp)" \
		--extra "$pr/extra" --scenario tests/guest/sshd.sh --log "$pr_log" \
		>/dev/null 2>"$out/testbox-push.err" </dev/null &
	pr_qemu=$!
	local i
	for i in $(seq 300); do
		grep -q '^@@PKRS-SSH-READY' "$pr_log" 2>/dev/null && break
		kill -0 "$pr_qemu" 2>/dev/null || { cat "$out/testbox-push.err"; tail "$pr_log"; return 1; }
		sleep 1
	done
	for i in $(seq 60); do
		gssh true && { echo "ssh up after ${i} tries"; return 0; }
		sleep 2
	done
	tail -n 20 "$pr_log"
	return 1
}
pr_stop() {
	[ -n "$pr_qemu" ] || return 0
	gssh 'touch /tmp/pkrs-done' >/dev/null 2>&1
	local i
	for i in $(seq 30); do kill -0 "$pr_qemu" 2>/dev/null || break; sleep 1; done
	kill -0 "$pr_qemu" 2>/dev/null && kill -- -"$pr_qemu" 2>/dev/null
	wait "$pr_qemu" 2>/dev/null
	pr_qemu=
}
trap 'pr_stop; rm -rf "$pr"' EXIT
ssh_test_opts=(-o UserKnownHostsFile="$pr/known_hosts" -o IdentitiesOnly=yes -o BatchMode=yes
	-o ConnectTimeout=30 -i "$pr/id")
gssh() {
	ssh -F /dev/null -T -p "$pr_port" -o StrictHostKeyChecking=yes "${ssh_test_opts[@]}" \
		-l root 127.0.0.1 "$@"
}
# push / clean through make, as a user would, with the test's ssh options.
pr_make() {
	make "$1" HOST=127.0.0.1 PORT="$pr_port" PUSH_OPTS="${ssh_test_opts[*]}"
}
pr_script() { scripts/push_remote.sh -p "$pr_port" "${ssh_test_opts[@]}" "$@" 127.0.0.1; }
extra=/lib/modules/$pr_rel/extra
# What the guest has under /lib/modules/<release>, one path a line.
glist() { gssh "find /lib/modules/$pr_rel /tmp -path '/tmp/pkrs-push*' -o -path '/lib/modules/*' | sort"; }

if ! pr_setup >"$out/push-setup.log" 2>&1; then
	fail "test box with an ssh server boots and accepts the test's key" "$(tail -n 15 "$out/push-setup.log")"
else
	pass "test box with an ssh server boots and accepts the test's key"
fi
# A module directory that is not ours stays, and depmod's files exist
# before the push: after clean_remote the listing must be the same.
gssh "mkdir -p $extra && echo not-ours >$extra/keep-me.txt && depmod -a $pr_rel" >/dev/null 2>&1
glist >"$pr/before" 2>/dev/null

dry_run() {
	pr_script -n >"$pr/dry.log" 2>&1 || { cat "$pr/dry.log"; return 1; }
	cat "$pr/dry.log"
	glist >"$pr/after"
	grep -q "kernel/lib/time_bench.ko -> $extra/time_bench.ko" "$pr/dry.log" && diff "$pr/before" "$pr/after"
}
check "push_remote.sh -n shows what it would install and changes nothing" dry_run
push() {
	pr_make push_remote >"$pr/push.log" 2>&1; local rc=$?
	cat "$pr/push.log"
	[ $rc = 0 ] &&
		grep -q "^installed: $extra/time_bench.ko$" "$pr/push.log" &&
		grep -q "^installed: $extra/page_bench01.ko$" "$pr/push.log" &&
		grep -q "^installed: $extra/prototype-kernel-rs/pkrs-bench$" "$pr/push.log" &&
		grep -q "copying $pr_files files with rsync" "$pr/push.log" &&
		grep -q "depmod -a $pr_rel: done" "$pr/push.log" &&
		gssh "test -f $extra/time_bench.ko && test -f $extra/page_bench01.ko && grep -q time_bench.ko /lib/modules/$pr_rel/modules.dep && cat $extra/prototype-kernel-rs.manifest"
}
check "make push_remote HOST=127.0.0.1 PORT=<fwd> installs the modules (rsync) and says what" push
modprobe_ssh() {
	gssh "dmesg -c >/dev/null; modprobe time_bench loops=20000 && lsmod | grep '^time_bench' && dmesg | grep 'time_bench: Type:for_loop' && modprobe -r time_bench && ! grep -q '^time_bench ' /proc/modules"
}
check "over ssh, modprobe time_bench works and its Type:for_loop line appears in dmesg" modprobe_ssh
helper() {
	gssh "$extra/prototype-kernel-rs/pkrs-bench page_bench01 loops=2000 max_order=1 run_flags=2" >"$pr/helper.log" 2>&1
	local rc=$?
	cat "$pr/helper.log"
	[ $rc = 0 ] && grep -q 'page_bench01: Type:single_page_alloc_free' "$pr/helper.log" &&
		gssh "! grep -q '^page_bench01 ' /proc/modules"
}
check "the pushed helper pkrs-bench loads page_bench01, shows its lines, unloads it" helper
clean() {
	pr_make clean_remote >"$pr/clean.log" 2>&1; local rc=$?
	cat "$pr/clean.log"
	glist >"$pr/after"
	diff "$pr/before" "$pr/after" &&
		[ $rc = 0 ] && grep -q "^removed: $extra/time_bench.ko$" "$pr/clean.log" &&
		grep -q "depmod -a $pr_rel: done" "$pr/clean.log" &&
		gssh "test -f $extra/keep-me.txt && ! test -e $extra/prototype-kernel-rs.manifest && ! grep -q 'time_bench\|page_bench01' /lib/modules/$pr_rel/modules.dep"
}
check "make clean_remote removes exactly what was installed and reruns depmod" clean

# copy_with METHOD: push with --copy METHOD, check the files, remove them.
copy_with() {
	pr_script --copy "$1" >"$pr/copy.log" 2>&1; local rc=$?
	cat "$pr/copy.log"
	[ $rc = 0 ] && grep -q "copying $pr_files files with $1" "$pr/copy.log" &&
		gssh "modprobe time_bench loops=2000 && modprobe -r time_bench" &&
		pr_script --delete && glist >"$pr/after" && diff "$pr/before" "$pr/after"
}
check "push_remote.sh --copy scp (scp -O, where rsync is missing) installs; --delete removes" copy_with scp
check "push_remote.sh --copy tar (a tar stream over ssh) installs; --delete removes" copy_with tar

# A real release mismatch: a copy of time_bench.ko whose vermagic names
# another release of the same length; the guest's uname -r is compared.
mkdir -p "$pr/other"
pr_fake=${pr_rel%?}x
perl -0777 -pe "s/vermagic=\Q$pr_rel\E /vermagic=$pr_fake /" kernel/lib/time_bench.ko >"$pr/other/time_bench.ko"
mismatch() {
	# grep reads the file itself: `tr | grep -q` fails under pipefail once the
	# module is big enough (debug info, BTF) for tr to get SIGPIPE.
	tr '\0' '\n' <"$pr/other/time_bench.ko" >"$pr/other/strings"
	grep -q "^vermagic=$pr_fake " "$pr/other/strings" || { echo "no fake vermagic"; return 1; }
	! pr_script -d "$pr/other" >"$pr/mismatch.log" 2>&1
	local refused=$?
	cat "$pr/mismatch.log"
	glist >"$pr/after"
	[ $refused = 0 ] &&
		grep -q "runs kernel $pr_rel but the modules are built for $pr_fake: refusing" "$pr/mismatch.log" &&
		! grep -q copying "$pr/mismatch.log" && diff "$pr/before" "$pr/after"
}
check "a host running another kernel release is refused before copying anything" mismatch
forced() {
	pr_script -d "$pr/other" --force >"$pr/forced.log" 2>&1 || { cat "$pr/forced.log"; return 1; }
	cat "$pr/forced.log"
	! gssh "modprobe time_bench loops=2000" && gssh "dmesg | grep -q 'version magic'" &&
		pr_script --delete && glist >"$pr/after" && diff "$pr/before" "$pr/after"
}
check "--force installs anyway (the kernel then refuses the module); --delete removes it" forced
unknown_key() {
	! scripts/push_remote.sh -p "$pr_port" -o UserKnownHostsFile="$pr/empty_known_hosts" \
		-o IdentitiesOnly=yes -o BatchMode=yes -i "$pr/id" 127.0.0.1 >"$pr/key.log" 2>&1
	local refused=$?
	cat "$pr/key.log"
	glist >"$pr/after"
	[ $refused = 0 ] && grep -q 'Host key verification failed' "$pr/key.log" && diff "$pr/before" "$pr/after"
}
check "a host whose key is not in known_hosts is refused (host-key checking on)" unknown_key

pr_stop
trap - EXIT
rm -rf "$pr"
[ $pr_standalone = 0 ] || finish
