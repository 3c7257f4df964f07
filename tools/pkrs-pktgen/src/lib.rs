//! pkrs-pktgen's parts: the frame builder, the control command parser and
//! the server (see `main.rs` for the protocol).

pub mod cmd;
pub mod frame;
pub mod serve;
