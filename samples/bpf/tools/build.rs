// Builds the BPF objects with the samples/bpf Makefile (one place for the
// clang flags) into OUT_DIR, where the binaries embed them from.
use std::{env, path::PathBuf, process::Command};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let samples = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"))
        .parent()
        .expect("samples/bpf")
        .to_path_buf();
    for f in [
        "Makefile",
        "xdp_bench01_mem_access_cost_kern.c",
        "xdp_ddos01_blacklist_kern.c",
        "xdp_redirect_map_kern.c",
    ] {
        println!("cargo:rerun-if-changed={}", samples.join(f).display());
    }
    println!("cargo:rerun-if-env-changed=CLANG");
    let status = Command::new(env::var("MAKE").unwrap_or_else(|_| "make".into()))
        .arg("-C")
        .arg(&samples)
        .arg("bpf")
        .arg(format!("O={}", out.display()))
        .status()
        .expect("running make for the BPF objects");
    assert!(status.success(), "building the BPF objects failed");
}
