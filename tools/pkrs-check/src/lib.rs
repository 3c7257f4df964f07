//! Parsing of what the test box prints: the framed steps of a scenario
//! (`@@PKRS-BEGIN`/`@@PKRS-DMESG`/`@@PKRS-END`), the time_bench result lines
//! in them, and KUnit's KTAP; the summaries and reports made of them.

pub mod bench;
pub mod calls;
pub mod docs;
pub mod ktap;
pub mod log;
pub mod report;
pub mod svg;
pub mod xdp;
