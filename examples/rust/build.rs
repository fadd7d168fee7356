//! Tells rustc where librump.so is: the directory in RUMP_LIB_DIR when set,
//! else what `pkg-config --libs rump` says (PKG_CONFIG_PATH applies), else
//! the linker's default search path. The crate links -lrump dynamically; at
//! run time the loader finds librump.so.0 as usual (LD_LIBRARY_PATH for a
//! prefix outside the loader's path).
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=RUMP_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-changed=build.rs");

    if let Some(dir) = env::var_os("RUMP_LIB_DIR") {
        println!("cargo:rustc-link-search=native={}", dir.to_string_lossy());
        println!("cargo:rustc-link-lib=dylib=rump");
        return;
    }
    match Command::new("pkg-config").args(["--libs", "rump"]).output() {
        Ok(out) if out.status.success() => {
            let libs = String::from_utf8_lossy(&out.stdout);
            for flag in libs.split_whitespace() {
                if let Some(dir) = flag.strip_prefix("-L") {
                    println!("cargo:rustc-link-search=native={}", dir);
                } else if let Some(lib) = flag.strip_prefix("-l") {
                    println!("cargo:rustc-link-lib=dylib={}", lib);
                }
            }
        }
        _ => {
            println!(
                "cargo:warning=pkg-config does not know rump (set PKG_CONFIG_PATH to \
                 PREFIX/lib/pkgconfig, or RUMP_LIB_DIR); linking -lrump from the default path"
            );
            println!("cargo:rustc-link-lib=dylib=rump");
        }
    }
}
