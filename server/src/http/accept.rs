//! Accepting TCP connections and serving HTTP/1.1 on each, with the
//! router, until shutdown.
//!
//! This replaces `axum::serve` for one setting it does not offer: a
//! header-read timeout. A connection that sends half a request header and
//! stops, or nothing at all, is cut after it ([`crate::Limits::header_timeout`]);
//! without it such connections stay open for good and enough of them use up
//! the server's descriptors. The same timer closes a keep-alive connection
//! that sends no next request within it.
//!
//! The connections speak HTTP/1.1 only. Browsers speak HTTP/2 only over TLS,
//! which a reverse proxy in front terminates (and proxies speak HTTP/1.1 to
//! their upstreams), and the WebSocket endpoint is an HTTP/1.1 upgrade. The
//! version-sniffing builder of hyper-util would also take HTTP/2 with prior
//! knowledge, but while it sniffs, no header timer runs: a connection that
//! sends nothing would be held forever again.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

/// Accepts connections on `listener` and serves `router` on each until
/// `shutdown` turns true; then asks each connection to finish its request
/// and close, and waits up to `drain` for them.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
    drain: Duration,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let builder = Arc::new(builder);
    // Each connection's task holds a receiver; when all are gone, so are
    // the connections.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = stopped(&mut shutdown) => break,
        };
        let task = Connection {
            builder: builder.clone(),
            router: router.clone(),
            shutdown: shutdown.clone(),
            _open: open_rx.clone(),
        };
        tokio::spawn(task.run(tcp, peer));
    }
    drop(listener);
    drop(open_rx);
    if tokio::time::timeout(drain, open_tx.closed()).await.is_err() {
        tracing::warn!(
            open = open_tx.receiver_count(),
            "HTTP connections still open at shutdown"
        );
    }
}

/// One accepted connection.
struct Connection {
    builder: Arc<http1::Builder>,
    router: Router,
    shutdown: watch::Receiver<bool>,
    /// Held while the connection is served.
    _open: watch::Receiver<()>,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream, peer: SocketAddr) {
        // Small frames go out at once: a keystroke must not wait for the
        // ACK of the one before it (Nagle's algorithm).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        let router = self.router;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            // What `ClientAddr` reads, as `into_make_service_with_connect_info` would put it.
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(req.map(Body::new))
        });
        let conn = self
            .builder
            .serve_connection(TokioIo::new(tcp), service)
            .with_upgrades();
        let mut conn = std::pin::pin!(conn);
        let served = tokio::select! {
            result = conn.as_mut() => Some(result),
            () = stopped(&mut self.shutdown) => None,
        };
        let result = match served {
            Some(result) => result,
            None => {
                // Finish the request in flight, then close.
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        if let Err(error) = result {
            // A header timeout, a peer gone mid-request, bytes that are no
            // HTTP: this connection's business only.
            tracing::debug!(%peer, %error, "connection ended");
        }
    }
}

/// Resolves once `shutdown` turns true (never if its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Carries on after a failed accept; waits a second when the process is
/// out of descriptors (as hyper's server did), so as not to spin.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; waiting a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
