//! Draftroom's server: meetings, rooms of Yjs documents synced over the
//! y-websocket protocol, roles enforced on every write, a durable store.
//!
//! [`app`] builds the router over shared state, so tests can drive it;
//! [`run`] serves it on a listener until a shutdown signal, then closes
//! every connection and commits everything queued to the store.

pub mod abuse;
pub mod accept;
pub mod api;
pub mod audience;
pub mod auth;
pub mod clause_check;
pub mod clause_move;
pub mod config;
pub mod connection;
pub mod draft;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod hub;
pub mod join_code;
pub mod live_room;
pub mod meeting;
pub mod meeting_room;
pub mod moved_texts;
pub mod records;
pub mod report;
pub mod report_words;
pub mod room;
pub mod session;
pub mod store;
pub mod web;
pub mod wire;
pub mod workflow;
pub mod ws;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub use config::{Config, Limits};
use hub::Hub;
use meeting::RoomSizes;
use store::{Store, StoreCloser, StoreError};

/// State shared by every request and connection.
pub struct AppState {
    /// Meetings and the store.
    pub hub: Hub,
    /// The configuration the server started with.
    pub config: Config,
    /// Set to true when the server shuts down; connections then close.
    pub shutdown: watch::Sender<bool>,
    /// Open WebSocket connections, so shutdown can wait for them.
    pub connections: ConnectionCount,
    /// Per-address limits on creating, joining and failed sign-ins.
    pub abuse: abuse::AbuseLimits,
}

/// Counts open connections; shutdown waits for it to reach zero.
#[derive(Default)]
pub struct ConnectionCount {
    open: AtomicUsize,
    idle: Notify,
}

/// Held while a connection is open.
pub struct ConnectionGuard<'a>(&'a ConnectionCount);

impl ConnectionCount {
    /// Counts a connection in until the guard drops.
    pub fn enter(&self) -> ConnectionGuard<'_> {
        self.open.fetch_add(1, Ordering::SeqCst);
        ConnectionGuard(self)
    }

    /// Open connections now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.open() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

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
    let (store, closer) = Store::open(&config.data_dir)?;
    let sizes = RoomSizes {
        backlog: config.limits.relay_backlog,
        compact_every: config.limits.compact_every,
        idle: config.limits.room_idle,
    };
    let state = AppState {
        abuse: abuse::AbuseLimits::new(&config.limits),
        hub: Hub::new(store, sizes),
        config,
        shutdown: watch::channel(false).0,
        connections: ConnectionCount::default(),
    };
    Ok((Arc::new(state), closer))
}

/// The router: API, WebSocket endpoint and the web app.
pub fn app(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/meetings", post(api::create_meeting))
        .route("/codes", post(api::resolve_code))
        .route("/meetings/{id}", get(api::show_meeting))
        .route("/meetings/{id}/join", post(api::join))
        .route("/meetings/{id}/invitation", post(api::invitation))
        .route("/meetings/{id}/editors", post(api::grant_editor))
        .route("/meetings/{id}/invites/rotate", post(api::rotate_invites))
        .route(
            "/meetings/{id}/amendments",
            post(api::open_amendment).get(api::list_amendments),
        )
        .route(
            "/meetings/{id}/amendments/{aid}/{action}",
            post(api::decide_amendment),
        )
        .route("/meetings/{id}/freeze", post(api::freeze))
        .route("/meetings/{id}/reopen", post(api::reopen))
        .route("/meetings/{id}/versions", get(api::versions))
        .route("/meetings/{id}/versions/{n}", get(api::version))
        .route(
            "/meetings/{id}/versions/{a}/diff/{b}",
            get(api::version_diff),
        )
        .route("/meetings/{id}/clauses/{clause}/{what}", get(api::clause))
        .route(
            "/meetings/{id}/clauses/{clause}/move",
            post(api::move_clause),
        )
        .route("/meetings/{id}/report", get(api::report))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed);
    let web = web::WebApp::new(state.config.web_dir.clone());
    Router::new()
        .route("/healthz", get(api::healthz))
        .nest("/api", api)
        .route("/ws/{meeting}/{*room}", any(ws::handler))
        .fallback(move |req: axum::extract::Request| web.clone().serve(req))
        .layer(DefaultBodyLimit::max(state.config.limits.max_json_bytes))
        .layer(axum::middleware::map_response(
            |mut response: axum::response::Response| async move {
                web::add_security_headers(response.headers_mut());
                response
            },
        ))
        .with_state(state)
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
    let router = app(state.clone());
    let sweeper = tokio::spawn(unload_idle_meetings(state.clone()));
    let signal_state = state.clone();
    let signal = tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        signal_state.shutdown.send_replace(true);
    });
    accept::serve(
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
    drop(state);
    tokio::task::spawn_blocking(move || closer.close())
        .await
        .ok();
    tracing::info!("store closed; bye");
    Ok(())
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
    tracing::info!(
        data = %config.data_dir.display(),
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
