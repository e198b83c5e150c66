//! Server configuration: where to listen, where the data lives, and the
//! limits that keep one client from hurting the others.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `draftroom serve` can be told.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Directory of the SQLite store.
    pub data_dir: PathBuf,
    /// Directory of the web app's static files, if served.
    pub web_dir: Option<PathBuf>,
    /// JSON logs instead of human ones.
    pub log_json: bool,
    /// Header a trusted reverse proxy puts the client's address in; the
    /// peer's address is used when unset.
    pub client_ip_header: Option<String>,
    /// Limits on clients.
    pub limits: Limits,
}

/// Limits on what one client may send, and timings.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message accepted; larger ones close with 1009.
    pub max_message_bytes: usize,
    /// Largest JSON body accepted; larger ones answer 413.
    pub max_json_bytes: usize,
    /// Messages per second one connection may send, sustained.
    pub messages_per_sec: f64,
    /// Messages one connection may send in a burst.
    pub message_burst: f64,
    /// How often the server pings each connection.
    pub ping_interval: Duration,
    /// How long a connection may stay silent (no pong, no message).
    pub idle_timeout: Duration,
    /// How long a client may take to send a request's header (and, on a
    /// kept-alive connection, to start the next request) before the
    /// connection is cut.
    pub header_timeout: Duration,
    /// Longest time a connection is sent no message: past it the server
    /// sends a heartbeat (see `connection`), since the stock client
    /// reconnects after 30 s without one and pings are invisible to it.
    pub heartbeat: Duration,
    /// How long a room with no connections stays in memory.
    pub room_idle: Duration,
    /// Relayed frames a connection may fall behind by before it is cut off.
    pub relay_backlog: usize,
    /// Updates in a room's log before it is compacted into a snapshot.
    pub compact_every: usize,
    /// Meetings one address may create per minute (half of it at once).
    pub meetings_per_minute: u64,
    /// Joins from one address per minute (half of it at once: a room on
    /// one network joining together).
    pub joins_per_minute: u64,
    /// Bad tokens or invites from one address per minute before it is
    /// refused outright (half of it at once).
    pub failed_sign_ins_per_minute: u64,
    /// Largest presence (awareness) state of one client, in bytes.
    pub max_awareness_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 1 << 20,
            max_json_bytes: 64 << 10,
            messages_per_sec: 200.0,
            message_burst: 1000.0,
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            heartbeat: Duration::from_secs(15),
            header_timeout: Duration::from_secs(10),
            room_idle: Duration::from_secs(30),
            relay_backlog: 256,
            compact_every: 1000,
            meetings_per_minute: 20,
            joins_per_minute: 600,
            failed_sign_ins_per_minute: 120,
            max_awareness_bytes: 16 << 10,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            web_dir: Some(PathBuf::from("./web/dist")),
            log_json: false,
            client_ip_header: None,
            limits: Limits::default(),
        }
    }
}

/// Usage text of the binary.
pub const USAGE: &str = "\
draftroom — real-time collaborative drafting for facilitated meetings

USAGE:
    draftroom serve [OPTIONS]
    draftroom backup [--data DIR] --out FILE    online copy of the store, while it serves
    draftroom restore [--data DIR] --from FILE  put a backup in place (server stopped)

OPTIONS (each also read from the environment variable shown):
    --listen ADDR              address to bind [DRAFTROOM_LISTEN, default 127.0.0.1:8080]
    --data DIR                 data directory [DRAFTROOM_DATA, default ./data]
    --web DIR                  built web app to serve, or 'none' [DRAFTROOM_WEB, default ./web/dist]
    --log-json                 JSON logs [DRAFTROOM_LOG_JSON=1]; RUST_LOG filters
    --max-message-bytes N      largest WebSocket message [DRAFTROOM_MAX_MESSAGE_BYTES, 1048576]
    --max-json-bytes N         largest JSON body [DRAFTROOM_MAX_JSON_BYTES, 65536]
    --messages-per-sec N       sustained messages per connection [DRAFTROOM_MESSAGES_PER_SEC, 200]
    --message-burst N          burst of messages per connection [DRAFTROOM_MESSAGE_BURST, 1000]
    --ping-interval-secs N     ping period [DRAFTROOM_PING_INTERVAL_SECS, 20]
    --idle-timeout-secs N      silence before a connection is cut [DRAFTROOM_IDLE_TIMEOUT_SECS, 60]
    --header-timeout-secs N    time to send a request's header [DRAFTROOM_HEADER_TIMEOUT_SECS, 10]
    --heartbeat-secs N         longest a connection is sent no message [DRAFTROOM_HEARTBEAT_SECS, 15]
    --room-idle-secs N         unused room stays loaded [DRAFTROOM_ROOM_IDLE_SECS, 30]
    --meetings-per-minute N    new meetings per client address [DRAFTROOM_MEETINGS_PER_MINUTE, 20]
    --joins-per-minute N       joins per client address [DRAFTROOM_JOINS_PER_MINUTE, 600]
    --failed-sign-ins-per-minute N
                               bad tokens or invites per client address before 429
                               [DRAFTROOM_FAILED_SIGN_INS_PER_MINUTE, 120]
    --max-awareness-bytes N    largest presence state of one client [DRAFTROOM_MAX_AWARENESS_BYTES, 16384]
    --client-ip-header NAME    take the client's address from this header set by a trusted
                               reverse proxy, e.g. X-Forwarded-For [DRAFTROOM_CLIENT_IP_HEADER]
";

impl Config {
    /// Reads the options after `serve`, with the environment as fallback.
    pub fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let mut c = Config::default();
        let set = |c: &mut Config, key: &str, value: String| -> Result<(), String> {
            let num = |v: &str| -> Result<u64, String> {
                v.parse::<u64>()
                    .map_err(|_| format!("{key} expects a whole number, got {v:?}"))
            };
            match key {
                "listen" => {
                    c.listen = value
                        .parse()
                        .map_err(|_| format!("--listen expects HOST:PORT, got {value:?}"))?
                }
                "data" => c.data_dir = PathBuf::from(value),
                "web" => {
                    c.web_dir = (value != "none").then(|| PathBuf::from(value));
                }
                "log-json" => c.log_json = matches!(value.as_str(), "1" | "true" | "yes"),
                "max-message-bytes" => c.limits.max_message_bytes = num(&value)? as usize,
                "max-json-bytes" => c.limits.max_json_bytes = num(&value)? as usize,
                "messages-per-sec" => c.limits.messages_per_sec = num(&value)? as f64,
                "message-burst" => c.limits.message_burst = num(&value)? as f64,
                "ping-interval-secs" => {
                    c.limits.ping_interval = Duration::from_secs(num(&value)?.max(1))
                }
                "idle-timeout-secs" => {
                    c.limits.idle_timeout = Duration::from_secs(num(&value)?.max(1))
                }
                "header-timeout-secs" => {
                    c.limits.header_timeout = Duration::from_secs(num(&value)?.max(1))
                }
                "heartbeat-secs" => c.limits.heartbeat = Duration::from_secs(num(&value)?.max(1)),
                "room-idle-secs" => c.limits.room_idle = Duration::from_secs(num(&value)?),
                "meetings-per-minute" => c.limits.meetings_per_minute = num(&value)?,
                "joins-per-minute" => c.limits.joins_per_minute = num(&value)?,
                "failed-sign-ins-per-minute" => c.limits.failed_sign_ins_per_minute = num(&value)?,
                "max-awareness-bytes" => c.limits.max_awareness_bytes = num(&value)? as usize,
                "client-ip-header" => {
                    c.client_ip_header = (!value.is_empty()).then_some(value);
                }
                _ => return Err(format!("unknown option --{key}\n\n{USAGE}")),
            }
            Ok(())
        };
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
            "heartbeat-secs",
            "header-timeout-secs",
            "room-idle-secs",
            "meetings-per-minute",
            "joins-per-minute",
            "failed-sign-ins-per-minute",
            "max-awareness-bytes",
            "client-ip-header",
        ] {
            let var = format!("DRAFTROOM_{}", key.to_uppercase().replace('-', "_"));
            if let Some(v) = env(&var) {
                set(&mut c, key, v)?;
            }
        }
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(opt) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}\n\n{USAGE}"));
            };
            let (key, inline) = match opt.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (opt.to_owned(), None),
            };
            if key == "log-json" && inline.is_none() {
                c.log_json = true;
                continue;
            }
            let value = match inline {
                Some(v) => v,
                None => args
                    .next()
                    .ok_or_else(|| format!("--{key} needs a value\n\n{USAGE}"))?,
            };
            set(&mut c, &key, value)?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_environment_and_defaults_hold() {
        let env = |k: &str| match k {
            "DRAFTROOM_DATA" => Some("/tmp/from-env".to_owned()),
            "DRAFTROOM_LISTEN" => Some("127.0.0.1:9000".to_owned()),
            _ => None,
        };
        let c = Config::from_args_and_env(
            ["--listen", "127.0.0.1:0", "--log-json"].map(String::from),
            env,
        )
        .unwrap();
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/from-env"));
        assert!(c.log_json);
        assert_eq!(c.limits.max_message_bytes, 1 << 20);
        // Vite builds the app into web/dist.
        assert_eq!(c.web_dir, Some(PathBuf::from("./web/dist")));
        assert!(Config::from_args_and_env(["--bogus", "1"].map(String::from), |_| None).is_err());
        assert!(
            Config::from_args_and_env(["--listen", "nonsense"].map(String::from), |_| None)
                .is_err()
        );
    }
}
