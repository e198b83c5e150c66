//! Options several scenarios share, and what they do with them.

use std::path::PathBuf;

use crate::target::Target;

/// The server under test and where the figures go.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Target and output")]
pub struct Common {
    /// `draftroom=http://HOST:PORT` (a meeting is created; the writer is its
    /// moderator, followers are observers) or `y-websocket=ws://HOST:PORT`
    /// (a room is a URL path).
    #[arg(long, value_name = "NAME=URL", value_parser = Target::parse)]
    pub target: Target,
    /// The server's process, read in /proc for its CPU time, memory and
    /// descriptors.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Also write the results to this file as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

impl Common {
    /// Writes `value` as pretty JSON to `--json`, if given.
    pub fn write_json<T: serde::Serialize + ?Sized>(&self, value: &T) -> anyhow::Result<()> {
        if let Some(path) = &self.json {
            std::fs::write(path, serde_json::to_string_pretty(value)?)?;
        }
        Ok(())
    }
}

/// One count of a comma-separated list such as `--followers 100,1000`;
/// spaces around it are allowed.
pub fn count(s: &str) -> Result<usize, std::num::ParseIntError> {
    s.trim().parse()
}
