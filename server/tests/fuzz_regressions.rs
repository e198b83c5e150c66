//! Every input a fuzz target once failed on (`fuzz/regressions/TARGET/`),
//! replayed by `cargo test` through the target's own body
//! (`draftroom_server::fuzzing`), as `fuzz/run.sh` replays them through
//! the libFuzzer build. Each file is named after what it pins:
//!
//! - `frames/clock-runs-past-32-bits`: a deleted item long enough to take
//!   its client's clock past 2^32; the library's 32-bit clocks wrapped and
//!   its block search divided by zero inside a transaction, which aborted
//!   the server.
//! - `frames/client-repeated-with-overlapping-gc-ranges`: one client listed
//!   again (after a run with no blocks) with garbage-collected ranges over
//!   clocks it already had; the library divided by zero.
//! - `frames/client-repeated-with-items-at-one-clock`: the same with items
//!   (and legacy JSON content), two of them at one clock; likewise.
//! - `updates/legacy-json-content-relayed-unlike-received`: legacy JSON
//!   content, which the library reads with one value more than it writes,
//!   so what the room relayed did not rebuild the room.
//!
//! A failure names its file; a stack overflow, which aborts the process,
//! names it too (each input runs on a thread named after it).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use draftroom_server::fuzzing;

/// A target, as `fuzz/run.sh` names it, and its body.
type Target = (&'static str, fn(&[u8]));

/// Every target.
const TARGETS: [Target; 3] = [
    ("frames", fuzzing::frames),
    ("updates", fuzzing::updates),
    ("commands", fuzzing::commands),
];

/// Longer than any input takes (milliseconds in a debug build): past it,
/// the input counts as a hang.
const HANG: Duration = Duration::from_secs(60);

fn regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// The inputs of `target`, sorted; none if it has no directory.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = regressions().join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("read fuzz/regressions").path())
        .collect();
    files.sort();
    files
}

/// Runs `target` on every input of its directory; panics naming each input
/// that panics or hangs. Answers how many ran.
fn replay(target: &str) -> usize {
    let (_, body) = *TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a known target");
    let inputs = inputs(target);
    let mut failed = Vec::new();
    for path in &inputs {
        let name = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {name}: {e}"));
        eprintln!("replaying fuzz/regressions/{name} ({} bytes)", data.len());
        let (done, finished) = mpsc::channel();
        let runner = std::thread::Builder::new()
            .name(format!("fuzz/regressions/{name}"))
            .spawn(move || {
                body(&data);
                let _ = done.send(());
            })
            .expect("spawn a thread");
        match finished.recv_timeout(HANG) {
            Ok(()) => runner.join().expect("finished"),
            // The sender dropped without sending: the body panicked (its
            // message is printed above by the panic hook).
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = runner.join();
                failed.push(format!("{name}: panicked"));
            }
            // Left running; the test binary's exit ends it.
            Err(mpsc::RecvTimeoutError::Timeout) => {
                failed.push(format!("{name}: still running after {HANG:?}"))
            }
        }
    }
    assert!(
        failed.is_empty(),
        "fuzz regressions fail again:\n{}",
        failed.join("\n")
    );
    inputs.len()
}

#[test]
fn frames_regressions_run_clean() {
    assert!(replay("frames") > 0, "no inputs in fuzz/regressions/frames");
}

#[test]
fn updates_regressions_run_clean() {
    assert!(
        replay("updates") > 0,
        "no inputs in fuzz/regressions/updates"
    );
}

#[test]
fn commands_regressions_run_clean() {
    // None yet: whatever is put there runs.
    replay("commands");
}

/// Nothing under `fuzz/regressions` escapes the replay: every entry is the
/// directory of a known target, holding only files.
#[test]
fn every_regression_input_is_replayed() {
    let mut seen = 0;
    for entry in std::fs::read_dir(regressions()).expect("fuzz/regressions") {
        let path = entry.expect("read fuzz/regressions").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            path.is_dir() && TARGETS.iter().any(|(target, _)| *target == name),
            "fuzz/regressions/{name} is not the directory of a target ({:?})",
            TARGETS.map(|(target, _)| target)
        );
        for input in inputs(&name) {
            assert!(input.is_file(), "{} is not a file", input.display());
            seen += 1;
        }
    }
    assert!(seen > 0, "no regression inputs found");
}
