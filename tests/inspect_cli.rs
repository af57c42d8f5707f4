//! The inspector's command line (`examples/inspect.rs`): help, a missing input, standard input
//! and a closed output pipe. Runs the example binary that `cargo test` builds.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `inspect` example, built next to this test by `cargo test`.
fn inspect() -> Command {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test> -> target/<profile>/examples/inspect
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir
        .join("examples")
        .join(format!("inspect{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples",
        path.display()
    );
    Command::new(path)
}

/// Waits at most 20 seconds for `child`, so a test fails instead of hanging.
#[allow(
    clippy::disallowed_methods,
    reason = "a test's own deadline, on the real clock"
)]
fn finish(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("the inspector is still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn run(args: &[&str]) -> Output {
    let child = inspect()
        .args(args)
        .stdin(Stdio::piped()) // left open: the inspector must not wait on it
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_goes_to_standard_output_with_status_0() {
    for flag in ["--help", "-h"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert!(text(&out.stdout).starts_with("usage: inspect"), "{flag}");
        assert!(text(&out.stdout).contains("--hex-lines"), "{flag}");
        assert_eq!(text(&out.stderr), "", "{flag}");
    }
}

#[test]
fn without_arguments_the_usage_goes_to_standard_error_with_status_2() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("usage: inspect"));
    assert_eq!(text(&out.stdout), "");
    // Options without an input: the same, with the reason first.
    let out = run(&["--protocol", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("inspect: no input"));
}

#[test]
fn a_dash_reads_standard_input() {
    let mut child = inspect()
        .args(["--protocol", "3.1.1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // PINGREQ, then PUBLISH "a/b" "hi"
    let input = [
        0xC0, 0x00, 0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i',
    ];
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "       0  PINGREQ\n       2  PUBLISH topic=\"a/b\" qos=0 payload=2B\n"
    );
}

#[test]
fn a_closed_output_pipe_ends_it_quietly() {
    // 100,000 PINGREQs: far more output than a pipe buffers.
    let path: PathBuf =
        std::env::temp_dir().join(format!("inspect-cli-{}.bin", std::process::id()));
    std::fs::write(&path, [0xC0, 0x00].repeat(100_000)).unwrap();
    let mut child = inspect()
        .args(["--protocol", "3.1.1", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap(); // the reader is dropped here: the pipe closes
    let out = finish(child);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(first, "       0  PINGREQ\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "", "no message, no panic");
}
