//! Servers of one test's own, started by `tests/services.sh` alone (the
//! shared ones stay as they are for the other tests).

use std::process::Command;

/// Starts `which` (`postgres` or `redis`) with `tests/services.sh` and
/// answers the variables `names` it exported, in order.
pub fn start_alone<const N: usize>(which: &str, names: [&str; N]) -> [String; N] {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/services.sh");
    let print: Vec<String> = names.iter().map(|n| format!("\"${n}\"")).collect();
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(format!(
            "source {script} && services_start && printf '%s\\n' {}",
            print.join(" ")
        ))
        .env("DRAFTROOM_TEST_SERVICES", which);
    // Its own server, not the shared one the variables name.
    for name in names {
        command.env_remove(name);
    }
    let out = command.output().expect("run tests/services.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        out.status.success() && lines.len() >= N,
        "{which} of the test's own did not start:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::array::from_fn(|i| lines[lines.len() - N + i].to_owned())
}
