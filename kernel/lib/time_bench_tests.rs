// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the time_bench harness, built into `time_bench.ko` only
//! (the harness is compiled into every bench module; its tests run once).

use kernel::prelude::*;

#[kunit_tests(pkrs_time_bench)]
mod tests {
    use crate::time_bench::{enabled, Record, Stats};

    #[test]
    fn stats_divides_and_keeps_three_decimals() {
        let s = Stats::compute(13_300, 5_150, 100);
        assert_eq!(s.cycles, 133);
        assert_eq!(s.ns, 51);
        assert_eq!(s.ns_milli, 500);
    }

    #[test]
    fn stats_decimals_are_zero_padded_thousandths() {
        // 2_000_123 ns over 1000 calls = 2000.123 ns.
        let s = Stats::compute(1_000, 2_000_123, 1000);
        assert_eq!((s.ns, s.ns_milli), (2000, 123));
        // 1_001 ns over 1000 calls = 1.001 ns.
        let s = Stats::compute(1_000, 1_001, 1000);
        assert_eq!((s.ns, s.ns_milli), (1, 1));
    }

    #[test]
    fn record_refuses_too_few_invocations() {
        let mut rec = Record::new(999, 0);
        rec.start();
        rec.stop(999);
        assert!(rec.stats().is_err());
    }

    #[test]
    fn record_measures_a_real_loop() {
        let mut rec = Record::new(1000, 0);
        rec.start();
        for i in 0..1000u32 {
            core::hint::black_box(i);
        }
        rec.stop(1000);
        let s = rec.stats().expect("a 1000-iteration loop takes time");
        assert_eq!(s.invoked, 1000);
        assert!(s.tsc_interval > 0 && s.time_interval > 0);
    }

    #[test]
    fn record_adds_up_laps() {
        let mut rec = Record::new(1000, 0);
        let mut laps = [0u64; 2];
        for lap in &mut laps {
            rec.start();
            for i in 0..500u32 {
                core::hint::black_box(i);
            }
            rec.lap_stop();
            *lap = rec.tsc_interval();
        }
        rec.set_invoked(1000);
        let s = rec.stats().expect("two 500-iteration laps take time");
        assert_eq!(s.invoked, 1000);
        // The second reading includes the first lap.
        assert!(laps[1] > laps[0] && s.tsc_interval == laps[1]);
    }

    #[test]
    fn run_flags_select_bits() {
        assert!(enabled(0b101, 0));
        assert!(!enabled(0b101, 1));
        assert!(enabled(0b101, 2));
        assert!(!enabled(u32::MAX, 40));
    }
}
