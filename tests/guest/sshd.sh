# The push_remote test's guest: an ssh server (dropbear) on the NIC that
# scripts/testbox.sh --ssh adds, then wait for the host's tests.
# The test box is booted with --bin for dropbear (and rsync, scp) and
# --extra for /etc/dropbear/hostkey and /root/.ssh/authorized_keys.
# Prints @@PKRS-SSH-READY when the server runs; ends when /tmp/pkrs-done
# appears (the host creates it over ssh) or after 30 minutes.
. /lib.sh

for m in failover net_failover virtio_net; do insmod $KMODS/$m.ko || exit 1; done
dev=
for i in 1 2 3 4 5 6 7 8 9 10; do
	for a in /sys/class/net/*/address; do
		[ "$(cat "$a")" = 52:54:00:00:00:10 ] && dev=$(basename "$(dirname "$a")")
	done
	[ -n "$dev" ] && break
	sleep 1
done
[ -n "$dev" ] || { echo "no NIC with MAC 52:54:00:00:00:10"; exit 1; }
ip link set lo up
ip addr add 10.0.2.15/24 dev "$dev"
ip link set "$dev" up

# What dropbear and the ssh sessions need from a system: a root account
# with a POSIX shell, a home with the authorised key, ptys.
mkdir -p /etc /var/run /dev/pts /usr/sbin /usr/bin
echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
echo 'root:*:19000:0:99999:7:::' >/etc/shadow
echo 'root:x:0:' >/etc/group
echo /bin/sh >/etc/shells
mount -t devpts devpts /dev/pts
chown -R 0:0 /root /etc/dropbear
chmod 700 /root /root/.ssh
chmod 600 /root/.ssh/authorized_keys /etc/dropbear/hostkey

/usr/sbin/dropbear -F -E -s -p 22 -r /etc/dropbear/hostkey -P /var/run/dropbear.pid \
	>/tmp/dropbear.log 2>&1 &
sleep 1
kill -0 $! 2>/dev/null || { cat /tmp/dropbear.log; exit 1; }
echo "@@PKRS-SSH-READY $dev"
i=0
while [ ! -e /tmp/pkrs-done ] && [ $i -lt 1800 ]; do sleep 1; i=$((i + 1)); done
kill $! 2>/dev/null
