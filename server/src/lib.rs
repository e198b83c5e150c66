//! Draftroom's server: meetings, rooms of Yjs documents synced over the
//! y-websocket protocol, roles enforced on every write, a durable store.
//!
//! [`app`] builds the router over shared state, so tests can drive it;
//! [`serve`] serves it on a listener until a shutdown signal, then closes
//! every connection and commits everything queued to the store.

#![warn(unreachable_pub)]

pub mod cli;
pub(crate) mod clock;
pub mod cluster;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod http;
pub mod meeting;
pub(crate) mod rate;
pub mod room;
pub(crate) mod secrets;
pub mod store;
#[cfg(test)]
mod testing;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use cluster::Cluster;
use cluster::relay::{Heard, Relayed};
pub use config::{Config, Limits};
pub use http::{AppState, ConnectionCount, app};
use meeting::RoomSizes;
use meeting::registry::Hub;
use store::{PostgresOptions, Store, StoreCloser, StoreError};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Serving failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the store and builds the shared state.
pub fn state(config: Config) -> Result<(Arc<AppState>, StoreCloser), StoreError> {
    let (store, closer) = match &config.postgres {
        Some(url) => Store::open_postgres(&PostgresOptions {
            url: url.clone(),
            timeout: config.postgres_timeout,
        })?,
        None => Store::open(&config.data_dir)?,
    };
    let sizes = RoomSizes {
        backlog: config.limits.relay_backlog,
        compact_every: config.limits.compact_every,
        idle: config.limits.room_idle,
    };
    let mut hub = Hub::new(store.clone(), sizes);
    if config.postgres.is_some() {
        // Several processes may share the database: each meeting is run
        // by the one process holding its lease.
        let cluster = Cluster::new(store, config.advertise.clone(), config.lease);
        hub = hub.in_cluster(Arc::new(cluster));
    }
    let state = AppState {
        abuse: http::abuse::AbuseLimits::new(&config.limits),
        hub,
        config,
        shutdown: watch::channel(false).0,
        connections: ConnectionCount::default(),
    };
    Ok((Arc::new(state), closer))
}

/// The store opened and the state built, ready to serve.
pub struct Opened {
    state: Arc<AppState>,
    closer: StoreCloser,
}

/// Opens the store (taking its data directory for this process) and builds
/// the state; fails before anything listens if the store cannot be used.
pub fn open(config: Config) -> Result<Opened, ServeError> {
    meeting_limits_check(&config);
    let (state, closer) = state(config)?;
    Ok(Opened { state, closer })
}

/// Serves on `listener` until `shutdown` resolves; then closes connections
/// (code 1001), waits for them briefly and commits the store.
pub async fn serve(
    opened: Opened,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let Opened { state, closer } = opened;
    let mut cluster_tasks = Vec::new();
    if let Some(cluster) = state.hub.cluster() {
        cluster.join(listener.local_addr()?).await?;
        cluster_tasks.push(tokio::spawn(keep_leases(state.clone())));
        cluster_tasks.push(tokio::spawn(catch_up_copies(state.clone())));
        if let Some(url) = &state.config.redis {
            match (
                cluster::relay::Publisher::start(
                    url,
                    cluster.process(),
                    cluster.secret().as_bytes().to_vec(),
                ),
                cluster::relay::follow(url, cluster.secret().as_bytes().to_vec()),
            ) {
                (Ok(publisher), Ok(heard)) => {
                    cluster.relay_through(publisher);
                    cluster_tasks.push(tokio::spawn(take_relayed(state.clone(), heard)));
                }
                (Err(e), _) | (_, Err(e)) => tracing::error!(
                    error = %e,
                    "the Redis URL is not valid; copies follow the database only"
                ),
            }
        }
    }
    let router = app(state.clone());
    let sweeper = tokio::spawn(unload_idle_meetings(state.clone()));
    let signal_state = state.clone();
    let signal = tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        signal_state.shutdown.send_replace(true);
    });
    http::accept::serve(
        listener,
        router,
        state.config.limits.header_timeout,
        state.shutdown.subscribe(),
        Duration::from_secs(5),
    )
    .await;
    signal.abort();
    if tokio::time::timeout(Duration::from_secs(5), state.connections.wait_idle())
        .await
        .is_err()
    {
        tracing::warn!(
            open = state.connections.open(),
            "connections still open at shutdown"
        );
    }
    sweeper.abort();
    let _ = sweeper.await;
    for task in cluster_tasks {
        task.abort();
        let _ = task.await;
    }
    if let Some(cluster) = state.hub.cluster() {
        cluster.release_all();
    }
    drop(state);
    tokio::task::spawn_blocking(move || closer.close())
        .await
        .ok();
    tracing::info!("store closed; bye");
    Ok(())
}

/// Renews this process's leases every third of their length, and gives
/// up the meetings whose lease it lost.
async fn keep_leases(state: Arc<AppState>) {
    let Some(cluster) = state.hub.cluster().cloned() else {
        return;
    };
    let mut tick = tokio::time::interval(cluster.lease() / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let lost = cluster.renew().await;
        if !lost.is_empty() {
            state.hub.give_up(&lost).await;
        }
        state.hub.expire_remote_audiences();
    }
}

/// Applies what the other processes relay to this process's copies of
/// their meetings.
async fn take_relayed(state: Arc<AppState>, mut heard: tokio::sync::mpsc::Receiver<Heard>) {
    while let Some(h) = heard.recv().await {
        match h {
            Heard::Message(Relayed::Update { key, seq, update }) => {
                state.hub.relayed(&key, seq, update.into()).await;
            }
            Heard::Message(Relayed::Presence { key, frame }) => {
                state.hub.presence(&key, frame).await;
            }
            Heard::Message(Relayed::Audience {
                key,
                process,
                count,
            }) => state.hub.remote_audience(&key, process, count as usize),
            Heard::Message(Relayed::Member { key, user }) => state.hub.relayed_member(&key, user),
            // What was missed while not subscribed is in the database.
            Heard::Subscribed => state.hub.catch_up_replicas().await,
        }
    }
}

/// Compares this process's copies with the database now and then: what
/// the relay lost, or everything while Redis is down, arrives this way.
async fn catch_up_copies(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(cluster::relay::CATCH_UP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        state.hub.catch_up_replicas().await;
    }
}

/// Now and then drops meetings nobody uses from memory.
async fn unload_idle_meetings(state: Arc<AppState>) {
    let idle = state.config.limits.room_idle;
    let mut tick = tokio::time::interval((idle / 2).max(Duration::from_secs(1)));
    loop {
        tick.tick().await;
        let n = state.hub.unload_idle(idle);
        if n > 0 {
            tracing::debug!(unloaded = n, "idle meetings unloaded");
        }
    }
}

fn meeting_limits_check(config: &Config) {
    let store = match &config.postgres {
        Some(_) => "postgres".to_owned(),
        None => config.data_dir.display().to_string(),
    };
    tracing::info!(
        store,
        max_message_bytes = config.limits.max_message_bytes,
        "starting"
    );
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
