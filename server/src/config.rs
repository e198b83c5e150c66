//! Server configuration: where to listen, where the data lives, and the
//! limits that keep one client from hurting the others. The command line
//! that sets them is `crate::cli`.

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
    /// PostgreSQL to store in instead of SQLite (a `postgres://` URL).
    pub postgres: Option<String>,
    /// The deadline of every call to PostgreSQL.
    pub postgres_timeout: Duration,
    /// With PostgreSQL: the Redis that relays committed updates between
    /// the processes (without it, copies follow the database only).
    pub redis: Option<String>,
    /// With PostgreSQL: where the other processes reach this one
    /// (`host:port`); the address it listens on when unset.
    pub advertise: Option<String>,
    /// With PostgreSQL: how long a process's lease on a meeting lasts
    /// unless renewed (it renews every third of it).
    pub lease: Duration,
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
            postgres: None,
            postgres_timeout: Duration::from_secs(3),
            advertise: None,
            redis: None,
            lease: Duration::from_secs(3),
            web_dir: Some(PathBuf::from("./web/dist")),
            log_json: false,
            client_ip_header: None,
            limits: Limits::default(),
        }
    }
}
