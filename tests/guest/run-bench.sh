# The main job's scenario: load the benchmark and show its result lines.
. /lib.sh
step bench insmod $PKRS_MODS/page_bench01.ko
rmmod page_bench01
