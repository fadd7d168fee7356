//! The example program twice, as two processes on one bus file: one serves,
//! the other sends "hello" and must get it back.
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn udp_exchange_between_two_processes() {
    let exe = env!("CARGO_BIN_EXE_udp_exchange");
    let dir =
        TempDir(std::env::temp_dir().join(format!("rump-rs-exchange-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let bus = dir.0.join("bus");

    let server = Command::new(exe)
        .arg(&bus)
        .args(["10.0.2.1/24", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sender = Command::new(exe)
        .arg(&bus)
        .args(["10.0.2.2/24", "send", "10.0.2.1", "hello"])
        .output()
        .unwrap();
    let served = server.wait_with_output().unwrap();

    let sent_out = String::from_utf8_lossy(&sender.stdout);
    let served_out = String::from_utf8_lossy(&served.stdout);
    println!(
        "sender:\n{sent_out}{}",
        String::from_utf8_lossy(&sender.stderr)
    );
    println!(
        "server:\n{served_out}{}",
        String::from_utf8_lossy(&served.stderr)
    );
    assert!(sender.status.success());
    assert!(served.status.success());
    assert!(sent_out
        .lines()
        .any(|l| l == "reply from 10.0.2.1:7777: hello"));
    assert!(served_out
        .lines()
        .any(|l| l == "listening on 10.0.2.1:7777"));
    assert!(served_out
        .lines()
        .any(|l| l.starts_with("got 'hello' from 10.0.2.2:")));
}

#[test]
fn usage_errors_exit_2() {
    let exe = env!("CARGO_BIN_EXE_udp_exchange");
    for args in [
        &["bus"][..],
        &["bus", "10.0.2.1/33", "serve"],
        &["bus", "10.0.2.1/24", "send", "x", "y"],
    ] {
        let out = Command::new(exe).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("usage:"),
            "{args:?}"
        );
    }
}
