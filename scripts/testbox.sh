#!/usr/bin/env bash
# testbox.sh: boot a kernel in QEMU (TCG) with a busybox initramfs holding
# the built modules, run a scenario script as part of /init, capture the
# serial console, and end QEMU (poweroff, or a hard timeout).
#
#   scripts/testbox.sh [--kdir DIR] [--smp N] [--timeout SEC] [--log FILE]
#                      [--icount] [--tcg-single] [--iommu] [--viommu] [--append ARGS]
#                      [--nic-opts PROPS]
#                      [--env NAME=VALUE]... [--ko FILE]...
#                      [--ssh PORT] [--bin FILE]... [--extra DIR]...
#                      [--gen [--gen-bin FILE]] [--no-box-check] --scenario FILE
#
# In the guest: project modules in /lib/modules/pkrs/, the tree's own
# modules (virtio_net, pktgen, ...) in /lib/modules/kernel/, the scenario at
# /scenario.sh, the helpers of tests/guest/lib.sh at /lib.sh (and the XDP
# driver tests' shared part, tests/guest/xdp-lib.sh, at /xdp-lib.sh). Two virtio-net
# NICs on one QEMU hub (eth0, eth1; PCI 00:07.0 and 00:08.0) are there for
# scenarios that send packets.
# --env sets a variable in the scenario's environment. --ko adds a module
# built elsewhere (such as the upstream C page_pool bench) to
# /lib/modules/kernel/.
# --ssh PORT adds a third NIC (MAC 52:54:00:00:00:10) on QEMU user networking,
# isolated (restrict=on) but for host 127.0.0.1:PORT forwarded to guest port 22
# (PCI 00:0a.0).
# --bin FILE copies a host program and its shared libraries into the guest
# (same paths); --extra DIR copies DIR's contents over the guest's root.
# --gen runs the host-side packet generator tools/pkrs-pktgen (built by the
# caller; --gen-bin FILE, default tools/pkrs-pktgen/target/release/pkrs-pktgen):
# `pkrs-pktgen serve` starts before QEMU, its log next to the console log
# (the --log path + .gen), and is stopped when QEMU ends. It feeds a NIC of
# its own (MAC 52:54:00:00:00:20, PCI 00:09.0: find it as
# /sys/bus/pci/devices/0000:00:09.0/virtio*/net/*) and takes one-line
# commands on the guest's /dev/ttyS1 (the helpers gen and gen_val of
# /lib.sh); sending costs the guest nothing. QEMU's human monitor is
# connected to it too, so that the guest can have a NIC's link go down and
# up (its link and flap commands; netdev ids p0, p1, g0 for the NICs at
# 00:07.0, 00:08.0, 00:09.0). See tools/pkrs-pktgen/src/main.rs.
# --tcg-single runs the vCPUs in one host thread (-accel tcg,thread=single).
# With one thread per vCPU (the default), QEMU 7.2 lets a vCPU run code
# another vCPU has just patched with text_poke_bp(): it hits the int3 after
# the patch is complete and the kernel oopses ("Oops: int3" in
# bpf_dispatcher_xdp_func when an XDP program is attached while another CPU
# runs XDP; the kernel's own virtio_net too). Scenarios that attach or
# replace programs under traffic need it.
# --iommu gives every virtio NIC VIRTIO_F_ACCESS_PLATFORM (iommu_platform=on,
# modern only): their drivers then go through the DMA API (with DMA-API
# debug on the debug kernel). --viommu also adds a virtio-iommu (the debug
# kernel has its driver), so the NICs' DMA goes through IOVAs.
# --append ARGS adds ARGS to the kernel command line (e.g. swiotlb=force
# with --iommu: every DMA mapping bounces through the software IO TLB,
# as behind a confidential guest's or a non-coherent device's DMA).
# --nic-opts PROPS adds QEMU virtio-net-pci properties to every NIC (e.g.
# mrg_rxbuf=off,ctrl_vq=off: the features a device offers its driver).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

kdir=$PKRS_CACHE/linux smp=2 timeout=600 log= scenario= icount= env= kos=() ssh_port=
accel=tcg nic_opts= more_nic_opts= viommu= append=
bins=() extras=() gen= gen_bin=$top/tools/pkrs-pktgen/target/release/pkrs-pktgen no_box_check=
while [ $# -gt 0 ]; do
	case $1 in
	--kdir) kdir=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--icount) icount="-icount shift=0"; shift ;;
	--tcg-single) accel=tcg,thread=single; shift ;;
	--iommu) nic_opts=,iommu_platform=on,disable-legacy=on; shift ;;
	--viommu) nic_opts=,iommu_platform=on,disable-legacy=on viommu="-device virtio-iommu-pci,addr=0x6"; shift ;;
	--nic-opts)
		[[ ${2:-} =~ ^[a-z0-9_]+=[a-z0-9_-]+(,[a-z0-9_]+=[a-z0-9_-]+)*$ ]] ||
			pkrs_die "--nic-opts wants virtio-net-pci properties (a=b,c=d), not '${2:-}'"
		more_nic_opts=,$2; shift 2 ;;
	--append)
		[[ ${2:-} =~ ^[A-Za-z0-9_.,=:\ -]+$ ]] || pkrs_die "--append wants kernel parameters, not '${2:-}'"
		append=" $2"; shift 2 ;;
	--ko)
		[[ ${2:-} == *.ko && -f ${2:-} ]] || pkrs_die "--ko wants a .ko file, not '${2:-}'"
		kos+=("$2"); shift 2 ;;
	--env)
		[[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || pkrs_die "--env wants NAME=VALUE, not '$2'"
		v=${2#*=} q="'\\''"
		env+="export ${2%%=*}='${v//\'/$q}'"$'\n'; shift 2 ;;
	--ssh) ssh_port=$2; shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--extra) extras+=("$2"); shift 2 ;;
	--gen) gen=1; shift ;;
	--gen-bin) gen_bin=$2; shift 2 ;;
	--no-box-check) no_box_check=1; shift ;;
	-h|--help) sed -n "2,53p" "$0"; exit 0 ;;
	*) pkrs_die "unknown option $1 (see --help)" ;;
	esac
done
nic_opts=$nic_opts$more_nic_opts
[ -n "$scenario" ] && [ -f "$scenario" ] || pkrs_die "--scenario FILE is required"
if [ -n "$gen" ]; then
	[ -f "$gen_bin" ] && [ -x "$gen_bin" ] ||
		pkrs_die "--gen: no generator at $gen_bin: build it (cargo build --release in tools/pkrs-pktgen) or pass --gen-bin FILE"
fi
if [ -n "$ssh_port" ]; then
	[[ $ssh_port =~ ^[1-9][0-9]{0,4}$ ]] && [ "$ssh_port" -le 65535 ] ||
		pkrs_die "--ssh PORT: not a port number: $ssh_port"
fi
bz=$kdir/arch/x86/boot/bzImage
[ -f "$bz" ] || pkrs_die "no kernel image at $bz: build the tree first (make kernel-tree)"
busybox=$(command -v busybox) || pkrs_die "busybox not found: run scripts/setup-host.sh"
case $(ldd "$busybox" 2>&1) in *"not a dynamic executable"*) ;; *) false ;; esac ||
	pkrs_die "busybox must be statically linked (Debian: busybox-static)"

work=$(mktemp -d)
gen_pid=
# The generator exits by itself when QEMU closes its control socket; give
# it a moment to finish its log, then stop it.
gen_stop() {
	[ -n "$gen_pid" ] || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$gen_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$gen_pid" 2>/dev/null || true
	wait "$gen_pid" 2>/dev/null || true
	gen_pid=
}
trap 'gen_stop; rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,tmp,lib/modules/pkrs,lib/modules/kernel}
cp "$busybox" "$root/bin/busybox"
# The modules of the last build (modules.order), not stale ones of modules
# since disabled in .config.
[ -f "$top/modules.order" ] || pkrs_die "no modules built: run make first"
while read -r o; do
	cp "$top/${o%.o}.ko" "$root/lib/modules/pkrs/"
done <"$top/modules.order"
for m in virtio_net net_failover failover pktgen veth netconsole; do
	f=$(find "$kdir/" -name "$m.ko" -print -quit)
	[ -n "$f" ] && cp "$f" "$root/lib/modules/kernel/"
done
for f in "${kos[@]}"; do
	cp "$f" "$root/lib/modules/kernel/"
done
# A program and the libraries ldd lists for it (and the dynamic loader),
# each at its host path.
for b in ${bins[@]+"${bins[@]}"}; do
	[ -f "$b" ] || pkrs_die "--bin $b: no such file"
	for f in "$b" $(ldd "$b" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
done
for d in ${extras[@]+"${extras[@]}"}; do
	[ -d "$d" ] || pkrs_die "--extra $d: no such directory"
	cp -R "$d/." "$root/"
done
cp "$top/tests/guest/lib.sh" "$root/lib.sh"
cp "$top/tests/guest/xdp-lib.sh" "$root/xdp-lib.sh"
cp "$scenario" "$root/scenario.sh"
printf '%s' "$env" >"$root/env.sh"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
/bin/busybox --install -s /bin
export PATH=/bin
echo "@@PKRS-BOOTED $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
. /env.sh
sh /scenario.sh
echo "@@PKRS-SCENARIO-EXIT $?"
echo "@@PKRS-DMESG-REST"
dmesg -c
echo "@@PKRS-TAINTED $(cat /proc/sys/kernel/tainted)"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

# Fixed PCI slots, in the order the NICs probe (eth0, eth1, then the others).
net="$viommu
     -netdev hubport,id=p0,hubid=0 -device virtio-net-pci,netdev=p0,mac=52:54:00:00:00:01,addr=0x7$nic_opts
     -netdev hubport,id=p1,hubid=0 -device virtio-net-pci,netdev=p1,mac=52:54:00:00:00:02,addr=0x8$nic_opts"
[ -n "$ssh_port" ] && net="$net
     -netdev user,id=u0,restrict=on,hostfwd=tcp:127.0.0.1:$ssh_port-:22
     -device virtio-net-pci,netdev=u0,mac=52:54:00:00:00:10,addr=0xa$nic_opts"
out=${log:-$work/console.log}
if [ -n "$gen" ]; then
	# The generator listens before QEMU starts: QEMU connects to both
	# sockets as a client at start-up (and goes on without a data link if
	# nobody listens). The console stays ttyS0; the generator's control
	# port is the second serial port, ttyS1.
	gdata=$work/gen-data.sock gctl=$work/gen-ctl.sock gmon=$work/gen-mon.sock
	"$gen_bin" serve --data "$gdata" --ctl "$gctl" --monitor "$gmon" --log "$out.gen" </dev/null &
	gen_pid=$!
	for _ in $(seq 100); do
		[ -S "$gdata" ] && [ -S "$gctl" ] && [ -S "$gmon" ] && break
		kill -0 "$gen_pid" 2>/dev/null || { gen_pid=; pkrs_die "--gen: the generator did not start"; }
		sleep 0.1
	done
	[ -S "$gdata" ] && [ -S "$gctl" ] && [ -S "$gmon" ] ||
		pkrs_die "--gen: the generator did not listen within 10 s"
	net="$net
     -netdev stream,id=g0,server=off,addr.type=unix,addr.path=$gdata
     -device virtio-net-pci,netdev=g0,mac=52:54:00:00:00:20,addr=0x9$nic_opts
     -chardev socket,id=genctl,path=$gctl,server=off -serial chardev:genctl
     -chardev socket,id=genmon,path=$gmon,server=off -mon chardev=genmon,mode=readline"
fi
set +e
# shellcheck disable=SC2086
timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel $accel -cpu max $icount \
	-m 1G -smp "$smp" -nographic -no-reboot -monitor none -serial stdio \
	-kernel "$bz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=1$append" $net </dev/null |
	stdbuf -oL tr -d '\r' | tee "$out"
rc=${PIPESTATUS[0]}
set -e
gen_stop
[ $rc = 124 ] && pkrs_die "QEMU timed out after ${timeout}s"
grep -q '^@@PKRS-SCENARIO-EXIT' "$out" || pkrs_die "the scenario did not finish (QEMU exit $rc)"
# The whole run: the scenario exited 0, no kernel trouble anywhere in the
# log (also between steps and after the last), no taint but out-of-tree,
# unsigned and KUnit modules. --no-box-check for a run that provokes
# trouble on purpose.
if [ -z "$no_box_check" ]; then
	checker=$top/tools/pkrs-check/target/release/pkrs-check
	(cd "$top/tools/pkrs-check" && cargo build -q --release) ||
		pkrs_die "cannot build tools/pkrs-check for the run's check"
	why=$("$checker" box "$out" 2>&1) || pkrs_die "the run is not clean: $why (log: $out)"
fi
exit 0
