// Builds the BPF object (cputime_kern.c) into OUT_DIR, where the binary
// embeds it from; the flags are those of samples/bpf/Makefile.
use std::{env, path::PathBuf, process::Command};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let src = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"))
        .join("cputime_kern.c");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-env-changed=CLANG");
    let multiarch = Command::new("gcc")
        .arg("-print-multiarch")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut cmd = Command::new(env::var("CLANG").unwrap_or_else(|_| "clang-19".into()));
    cmd.args(["-O2", "-g", "-target", "bpf", "-Wall", "-Werror"]);
    if !multiarch.is_empty() {
        cmd.arg(format!("-I/usr/include/{multiarch}"));
    }
    let status = cmd
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(out.join("cputime_kern.o"))
        .status()
        .expect("running clang for the BPF object");
    assert!(status.success(), "building cputime_kern.o failed");
}
