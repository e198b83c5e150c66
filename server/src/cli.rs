//! The command line of the `draftroom` binary (`serve`, `backup`,
//! `restore`), each option also read from the environment variable it
//! names, and how `serve`'s options become a [`Config`].

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{Config, Limits};

/// The command line of the `draftroom` binary.
#[derive(Debug, Parser)]
#[command(
    name = "draftroom",
    about = "draftroom — real-time collaborative drafting for facilitated meetings",
    after_help = "Every option can also come from the environment variable that \
                  `draftroom help COMMAND` shows beside it; the command line wins.",
    // A later `--listen` replaces an earlier one, so a script can append to a
    // fixed command line.
    args_override_self = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do; none prints the help.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app, the API and the meetings' rooms
    // Each help under its option: the names are long.
    #[command(next_line_help = true)]
    Serve(Box<ServeArgs>),
    /// Online copy of the store, while it serves
    Backup {
        /// File to write the copy to; it must not exist yet
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The store to copy.
        #[command(flatten)]
        data: DataDir,
    },
    /// Put a backup in place (server stopped)
    Restore {
        /// The backup to put in place
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The store to replace.
        #[command(flatten)]
        data: DataDir,
    },
}

/// `--data DIR`, which every subcommand takes.
#[derive(Debug, Args)]
pub struct DataDir {
    /// Data directory
    #[arg(
        long = "data",
        value_name = "DIR",
        env = "DRAFTROOM_DATA",
        default_value_os_t = Config::default().data_dir
    )]
    pub dir: PathBuf,
}

/// The options of `draftroom serve`, which make its [`Config`].
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind; port 0 picks a free one
    #[arg(
        long,
        value_name = "ADDR",
        env = "DRAFTROOM_LISTEN",
        default_value_t = Config::default().listen
    )]
    listen: SocketAddr,
    #[command(flatten)]
    data: DataDir,
    /// Store in this PostgreSQL database (a postgres:// URL) instead of
    /// SQLite under --data
    #[arg(long, value_name = "URL", env = "DRAFTROOM_POSTGRES")]
    postgres: Option<String>,
    /// Longest any call to PostgreSQL may take before the storage counts as
    /// failing
    #[arg(
        long,
        value_name = "MS",
        env = "DRAFTROOM_POSTGRES_TIMEOUT_MS",
        default_value_t = Config::default().postgres_timeout.as_millis() as u64
    )]
    postgres_timeout_ms: u64,
    /// With --postgres: the Redis that relays committed updates between the
    /// processes (redis://host:port/)
    #[arg(long, value_name = "URL", env = "DRAFTROOM_REDIS")]
    redis: Option<String>,
    /// With --postgres: the address other processes reach this one at
    /// (host:port), if not the one it listens on
    #[arg(long, value_name = "ADDR", env = "DRAFTROOM_ADVERTISE")]
    advertise: Option<String>,
    /// With --postgres: how long a process's hold on a meeting lasts unless
    /// renewed; another process takes the meeting over after it
    #[arg(
        long,
        value_name = "MS",
        env = "DRAFTROOM_LEASE_MS",
        default_value_t = Config::default().lease.as_millis() as u64
    )]
    lease_ms: u64,
    /// Built web app to serve, or 'none'
    #[arg(
        long,
        value_name = "DIR",
        env = "DRAFTROOM_WEB",
        default_value = "./web/dist"
    )]
    web: PathBuf,
    /// JSON logs (the variable: 1, true or yes); RUST_LOG filters
    #[arg(long, env = "DRAFTROOM_LOG_JSON", value_parser = truthy)]
    log_json: bool,
    /// Largest WebSocket message
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_MAX_MESSAGE_BYTES",
        default_value_t = Limits::default().max_message_bytes
    )]
    max_message_bytes: usize,
    /// Largest JSON body
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_MAX_JSON_BYTES",
        default_value_t = Limits::default().max_json_bytes
    )]
    max_json_bytes: usize,
    /// Sustained messages per connection
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_MESSAGES_PER_SEC",
        default_value_t = Limits::default().messages_per_sec as u64
    )]
    messages_per_sec: u64,
    /// Burst of messages per connection
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_MESSAGE_BURST",
        default_value_t = Limits::default().message_burst as u64
    )]
    message_burst: u64,
    /// Ping period (at least 1)
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_PING_INTERVAL_SECS",
        default_value_t = Limits::default().ping_interval.as_secs()
    )]
    ping_interval_secs: u64,
    /// Silence before a connection is cut (at least 1)
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_IDLE_TIMEOUT_SECS",
        default_value_t = Limits::default().idle_timeout.as_secs()
    )]
    idle_timeout_secs: u64,
    /// Time to send a request's header (at least 1)
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_HEADER_TIMEOUT_SECS",
        default_value_t = Limits::default().header_timeout.as_secs()
    )]
    header_timeout_secs: u64,
    /// Longest a connection is sent no message (at least 1)
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_HEARTBEAT_SECS",
        default_value_t = Limits::default().heartbeat.as_secs()
    )]
    heartbeat_secs: u64,
    /// Unused room stays loaded
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_ROOM_IDLE_SECS",
        default_value_t = Limits::default().room_idle.as_secs()
    )]
    room_idle_secs: u64,
    /// New meetings per client address
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_MEETINGS_PER_MINUTE",
        default_value_t = Limits::default().meetings_per_minute
    )]
    meetings_per_minute: u64,
    /// Joins per client address
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_JOINS_PER_MINUTE",
        default_value_t = Limits::default().joins_per_minute
    )]
    joins_per_minute: u64,
    /// Bad tokens or invites per client address before 429
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_FAILED_SIGN_INS_PER_MINUTE",
        default_value_t = Limits::default().failed_sign_ins_per_minute
    )]
    failed_sign_ins_per_minute: u64,
    /// Largest presence state of one client
    #[arg(
        long,
        value_name = "N",
        env = "DRAFTROOM_MAX_AWARENESS_BYTES",
        default_value_t = Limits::default().max_awareness_bytes
    )]
    max_awareness_bytes: usize,
    /// Take the client's address from this header set by a trusted reverse
    /// proxy, e.g. X-Forwarded-For
    #[arg(long, value_name = "NAME", env = "DRAFTROOM_CLIENT_IP_HEADER")]
    client_ip_header: Option<String>,
}

/// `DRAFTROOM_LOG_JSON`'s reading: anything but these is off.
fn truthy(value: &str) -> Result<bool, std::convert::Infallible> {
    Ok(matches!(value, "1" | "true" | "yes"))
}

impl From<ServeArgs> for Config {
    fn from(a: ServeArgs) -> Config {
        // A zero period would spin or cut every connection at once.
        let secs = |n: u64| Duration::from_secs(n.max(1));
        Config {
            listen: a.listen,
            data_dir: a.data.dir,
            postgres: a.postgres.filter(|u| !u.is_empty()),
            postgres_timeout: Duration::from_millis(a.postgres_timeout_ms.max(1)),
            advertise: a.advertise.filter(|a| !a.is_empty()),
            redis: a.redis.filter(|r| !r.is_empty()),
            // Renewed every third of it: shorter would renew in a busy loop.
            lease: Duration::from_millis(a.lease_ms.max(300)),
            web_dir: (a.web != Path::new("none")).then_some(a.web),
            log_json: a.log_json,
            client_ip_header: a.client_ip_header.filter(|h| !h.is_empty()),
            limits: Limits {
                max_message_bytes: a.max_message_bytes,
                max_json_bytes: a.max_json_bytes,
                messages_per_sec: a.messages_per_sec as f64,
                message_burst: a.message_burst as f64,
                ping_interval: secs(a.ping_interval_secs),
                idle_timeout: secs(a.idle_timeout_secs),
                header_timeout: secs(a.header_timeout_secs),
                heartbeat: secs(a.heartbeat_secs),
                room_idle: Duration::from_secs(a.room_idle_secs),
                meetings_per_minute: a.meetings_per_minute,
                joins_per_minute: a.joins_per_minute,
                failed_sign_ins_per_minute: a.failed_sign_ins_per_minute,
                max_awareness_bytes: a.max_awareness_bytes,
                ..Limits::default()
            },
        }
    }
}

impl Cli {
    /// Parses a whole command line, program name first, reading each
    /// option's environment variable through `env` instead of the process's
    /// environment, so that tests need not change it.
    pub fn parse_with_env(
        args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Cli, clap::Error> {
        let matches = with_env(Cli::command(), &env).try_get_matches_from(args)?;
        Cli::from_arg_matches(&matches)
    }
}

impl Config {
    /// Reads the options after `serve`, with the environment as fallback.
    pub fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, clap::Error> {
        let line = ["draftroom", "serve"].map(String::from).into_iter();
        match Cli::parse_with_env(line.chain(args), env)?.command {
            Some(Command::Serve(serve)) => Ok((*serve).into()),
            other => unreachable!("`serve` parsed as {other:?}"),
        }
    }
}

/// `cmd` with each option's environment variable looked up in `env`.
///
/// clap reads the process's environment when an option is built, with no
/// way to hand it another; so the variable is taken off the option, its
/// value (if any) becomes the option's default, and the help still names
/// the variable and shows the real default.
fn with_env(cmd: clap::Command, env: &dyn Fn(&str) -> Option<String>) -> clap::Command {
    cmd.mut_args(|arg| {
        let Some(name) = arg.get_env().map(|n| n.to_string_lossy().into_owned()) else {
            return arg;
        };
        let value = env(&name);
        let mut notes = match &value {
            Some(v) => format!("[env: {name}={v}]"),
            None => format!("[env: {name}]"),
        };
        let mut arg = arg.env(None);
        if let Some(v) = value {
            let defaults: Vec<_> = arg
                .get_default_values()
                .iter()
                .map(|d| d.to_string_lossy().into_owned())
                .collect();
            if !defaults.is_empty() {
                notes.push_str(&format!(" [default: {}]", defaults.join(", ")));
                arg = arg.hide_default_value(true);
            }
            arg = arg.default_value(v);
        }
        let help = arg.get_help().map(|h| format!("{h} {notes}"));
        arg.help(help.unwrap_or(notes))
    })
    .mut_subcommands(|sub| with_env(sub, env))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    /// What a refused command line comes to: the error's kind and the
    /// first line of its rendering (the one naming the option).
    fn refusal(err: clap::Error) -> (ErrorKind, String) {
        let line = err
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        (err.kind(), line)
    }

    /// A [`refusal`] as a test expects it.
    fn expected(kind: ErrorKind, line: &str) -> (ErrorKind, String) {
        (kind, line.to_owned())
    }

    #[test]
    fn flags_override_environment_and_defaults_hold() {
        let env = |k: &str| match k {
            "DRAFTROOM_DATA" => Some("/tmp/from-env".to_owned()),
            "DRAFTROOM_LISTEN" => Some("127.0.0.1:9000".to_owned()),
            _ => None,
        };
        let c = Config::from_args_and_env(args("--listen 127.0.0.1:0 --log-json"), env).unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/from-env"));
        assert!(c.log_json);
        assert_eq!(c.limits.max_message_bytes, 1 << 20);
        // Vite builds the app into web/dist.
        assert_eq!(c.web_dir, Some(PathBuf::from("./web/dist")));
        let bad =
            |line: &str| refusal(Config::from_args_and_env(args(line), |_| None).unwrap_err());
        assert_eq!(
            bad("--bogus 1"),
            expected(
                ErrorKind::UnknownArgument,
                "error: unexpected argument '--bogus' found"
            )
        );
        assert_eq!(
            bad("--listen nonsense"),
            expected(
                ErrorKind::ValueValidation,
                "error: invalid value 'nonsense' for '--listen <ADDR>': invalid socket address syntax"
            )
        );
        assert_eq!(
            bad("--listen"),
            expected(
                ErrorKind::InvalidValue,
                "error: a value is required for '--listen <ADDR>' but none was supplied"
            )
        );
        assert_eq!(
            bad("stray"),
            expected(
                ErrorKind::UnknownArgument,
                "error: unexpected argument 'stray' found"
            )
        );
    }

    #[test]
    fn every_option_reads_its_environment_variable() {
        let env = |k: &str| {
            let v = match k {
                "DRAFTROOM_LISTEN" => "127.0.0.1:9001",
                "DRAFTROOM_WEB" => "none",
                "DRAFTROOM_LOG_JSON" => "yes",
                "DRAFTROOM_MAX_MESSAGE_BYTES" => "11",
                "DRAFTROOM_MAX_JSON_BYTES" => "12",
                "DRAFTROOM_MESSAGES_PER_SEC" => "13",
                "DRAFTROOM_MESSAGE_BURST" => "14",
                "DRAFTROOM_PING_INTERVAL_SECS" => "15",
                "DRAFTROOM_IDLE_TIMEOUT_SECS" => "16",
                "DRAFTROOM_HEADER_TIMEOUT_SECS" => "17",
                "DRAFTROOM_HEARTBEAT_SECS" => "18",
                "DRAFTROOM_ROOM_IDLE_SECS" => "19",
                "DRAFTROOM_MEETINGS_PER_MINUTE" => "20",
                "DRAFTROOM_JOINS_PER_MINUTE" => "21",
                "DRAFTROOM_FAILED_SIGN_INS_PER_MINUTE" => "22",
                "DRAFTROOM_MAX_AWARENESS_BYTES" => "23",
                "DRAFTROOM_CLIENT_IP_HEADER" => "X-Forwarded-For",
                _ => return None,
            };
            Some(v.to_owned())
        };
        let c = Config::from_args_and_env([], env).unwrap();
        assert_eq!(c.listen.port(), 9001);
        assert_eq!(c.web_dir, None);
        assert!(c.log_json);
        let l = &c.limits;
        assert_eq!((l.max_message_bytes, l.max_json_bytes), (11, 12));
        assert_eq!((l.messages_per_sec, l.message_burst), (13.0, 14.0));
        let secs = [
            l.ping_interval,
            l.idle_timeout,
            l.header_timeout,
            l.heartbeat,
            l.room_idle,
        ]
        .map(|d| d.as_secs());
        assert_eq!(secs, [15, 16, 17, 18, 19]);
        assert_eq!(l.meetings_per_minute, 20);
        assert_eq!(l.joins_per_minute, 21);
        assert_eq!(l.failed_sign_ins_per_minute, 22);
        assert_eq!(l.max_awareness_bytes, 23);
        assert_eq!(c.client_ip_header.as_deref(), Some("X-Forwarded-For"));
        // Options not set keep the library's defaults.
        assert_eq!(c.limits.relay_backlog, Limits::default().relay_backlog);
    }

    #[test]
    fn values_read_as_before() {
        let none = |_: &str| None;
        let c = Config::from_args_and_env(
            args("--web none --ping-interval-secs 0 --heartbeat-secs 0 --room-idle-secs 0"),
            none,
        )
        .unwrap();
        assert_eq!(c.web_dir, None);
        // Periods are at least a second; how long an unused room stays is not.
        assert_eq!(c.limits.ping_interval, Duration::from_secs(1));
        assert_eq!(c.limits.heartbeat, Duration::from_secs(1));
        assert_eq!(c.limits.room_idle, Duration::ZERO);
        // The last of a repeated option wins, and `--opt=value` works.
        let c =
            Config::from_args_and_env(args("--data a --data=b --client-ip-header="), none).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("b"));
        assert_eq!(c.client_ip_header, None);
        let fraction = Config::from_args_and_env(args("--messages-per-sec 2.5"), none);
        assert_eq!(
            refusal(fraction.unwrap_err()),
            expected(
                ErrorKind::ValueValidation,
                "error: invalid value '2.5' for '--messages-per-sec <N>': invalid digit found in string"
            )
        );
        for (value, on) in [("1", true), ("true", true), ("0", false), ("off", false)] {
            let env = |k: &str| (k == "DRAFTROOM_LOG_JSON").then(|| value.to_owned());
            assert_eq!(Config::from_args_and_env([], env).unwrap().log_json, on);
        }
        // A bad value from the environment is named by its option.
        let env = |k: &str| (k == "DRAFTROOM_MAX_JSON_BYTES").then(|| "lots".to_owned());
        assert_eq!(
            refusal(Config::from_args_and_env([], env).unwrap_err()),
            expected(
                ErrorKind::ValueValidation,
                "error: invalid value 'lots' for '--max-json-bytes <N>': invalid digit found in string"
            )
        );
    }

    #[test]
    fn backup_and_restore_read_their_files_and_data_directory() {
        let env = |k: &str| (k == "DRAFTROOM_DATA").then(|| "/srv/d".to_owned());
        let cli = Cli::parse_with_env(args("draftroom backup --out b.sqlite3"), env).unwrap();
        let Some(Command::Backup { out, data }) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!((out, data.dir), ("b.sqlite3".into(), "/srv/d".into()));
        let line = args("draftroom restore --data d --from b.sqlite3");
        let cli = Cli::parse_with_env(line, env).unwrap();
        let Some(Command::Restore { from, data }) = cli.command else {
            panic!("{cli:?}")
        };
        assert_eq!((from, data.dir), ("b.sqlite3".into(), "d".into()));
        let err = Cli::parse_with_env(args("draftroom backup"), |_| None).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let cli = Cli::parse_with_env(["draftroom"], |_| None).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn the_help_names_each_variable_and_default() {
        Cli::command().debug_assert();
        let help = |line: &str, env: &dyn Fn(&str) -> Option<String>| {
            let err = Cli::parse_with_env(args(line), env).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
            // As one line, however the terminal wraps it.
            err.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let serve = help("draftroom serve --help", &|_| None);
        for key in [
            "listen",
            "data",
            "web",
            "log-json",
            "max-message-bytes",
            "max-json-bytes",
            "messages-per-sec",
            "message-burst",
            "ping-interval-secs",
            "idle-timeout-secs",
            "header-timeout-secs",
            "heartbeat-secs",
            "room-idle-secs",
            "meetings-per-minute",
            "joins-per-minute",
            "failed-sign-ins-per-minute",
            "max-awareness-bytes",
            "client-ip-header",
        ] {
            let var = format!("[env: DRAFTROOM_{}]", key.to_uppercase().replace('-', "_"));
            assert!(serve.contains(&format!("--{key}")), "{key}:\n{serve}");
            assert!(serve.contains(&var), "{var}:\n{serve}");
        }
        assert!(serve.contains("[default: 127.0.0.1:8080]"), "{serve}");
        assert!(serve.contains("[default: 1048576]"), "{serve}");
        // A variable that is set shows its value beside the default.
        let env = |k: &str| (k == "DRAFTROOM_DATA").then(|| "/srv/d".to_owned());
        let backup = help("draftroom backup --help", &env);
        assert!(
            backup.contains("[env: DRAFTROOM_DATA=/srv/d] [default: ./data]"),
            "{backup}"
        );
    }
}
