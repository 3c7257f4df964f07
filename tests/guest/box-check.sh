# The whole-run check's own test (scripts/testbox.sh, pkrs-check box):
# one clean step, then, by $TROUBLE, what no step's check would see:
#   after  a kernel warning logged after the last step
#   taint  the kernel tainted W (a WARN, bit 9) after the last step
#   exit   the scenario exits 3
#   none   nothing: the run must pass
. /lib.sh

step box.clean true
case $TROUBLE in
after) echo "WARNING: suspicious RCU usage" >/dev/kmsg ;;
taint) echo 512 >/proc/sys/kernel/tainted ;;
exit) exit 3 ;;
esac
