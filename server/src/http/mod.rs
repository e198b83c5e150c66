//! The axum edge: HTTP commands, the WebSocket endpoint and the web app's
//! files. It translates between the wire and the meeting, nothing more.

pub(crate) mod abuse;
pub(crate) mod accept;
pub(crate) mod api;
pub(crate) mod connection;
pub(crate) mod error;
pub(crate) mod forward;
pub(crate) mod session;
pub(crate) mod web;
pub(crate) mod workshop;
pub(crate) mod ws;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use tokio::sync::{Notify, watch};

use crate::config::Config;
use crate::meeting::registry::Hub;

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

    pub(crate) async fn wait_idle(&self) {
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
        .route("/meetings/{id}/catalogue", get(api::catalogue))
        .route("/meetings/{id}/groups", post(api::create_group))
        .route(
            "/meetings/{id}/groups/{gid}/members",
            post(api::put_in_group),
        )
        .route("/meetings/{id}/elements", post(api::add_element))
        .route("/meetings/{id}/elements/{eid}/share", post(api::mark_share))
        .route(
            "/meetings/{id}/elements/{eid}/{action}",
            post(api::tend_element),
        )
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
        .route("/meetings/{id}/stage", post(workshop::set_stage))
        .route("/meetings/{id}/people", post(workshop::add_person))
        .route(
            "/meetings/{id}/elements/{eid}/pull",
            post(workshop::pull_element),
        )
        .route(
            "/meetings/{id}/clauses/{clause}/elements",
            post(workshop::link_element),
        )
        .route(
            "/meetings/{id}/clauses/{clause}/signals",
            post(workshop::give_signal),
        )
        .route("/meetings/{id}/checks", post(workshop::open_check))
        .route(
            "/meetings/{id}/checks/{n}/answers",
            post(workshop::answer_check),
        )
        .route(
            "/meetings/{id}/checks/{n}/close",
            post(workshop::close_check),
        )
        .route("/meetings/{id}/consensus", get(workshop::consensus))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed);
    let web = web::WebApp::new(state.config.web_dir.clone());
    Router::new()
        .route("/healthz", get(api::healthz))
        .nest("/api", api)
        .route("/ws/{meeting}/{*room}", any(ws::handler))
        .fallback(move |req: axum::extract::Request| web.clone().serve(req))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::to_owner,
        ))
        .layer(DefaultBodyLimit::max(state.config.limits.max_json_bytes))
        .layer(axum::middleware::map_response(
            |mut response: axum::response::Response| async move {
                web::add_security_headers(response.headers_mut());
                response
            },
        ))
        .with_state(state)
}
