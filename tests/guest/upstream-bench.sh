# The kernel's own C page_pool bench (scripts/upstream-bench.sh, added with
# testbox.sh --ko): loads, prints its result lines, unloads.
. /lib.sh
step upstream.default insmod $KMODS/bench_page_pool.ko loops=20000
step upstream.rmmod rmmod bench_page_pool
