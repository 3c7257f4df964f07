//! Parsing of what the test box prints: the framed steps of a scenario
//! (`@@PKRS-BEGIN`/`@@PKRS-DMESG`/`@@PKRS-END`), the time_bench result lines
//! in them, and KUnit's KTAP.

pub mod bench;
pub mod ktap;
pub mod log;
pub mod xdp;
