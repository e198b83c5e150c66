//! Forwarding to a meeting's owner: a request or WebSocket for a meeting
//! that another process owns is sent on to it, as it came, with the
//! cluster's secret and the client's address; the owner's answer comes
//! back as it is. A WebSocket's upgrade is forwarded the same way, and
//! after the owner's 101 the two connections are joined byte for byte, so
//! its frames, pings and close codes pass unchanged.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use std::collections::HashMap;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use draftroom_shared::Role;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::cluster::{CLIENT_HEADER, Cluster, Owner, PEER_HEADER};
use crate::http::AppState;
use crate::http::abuse::ClientAddr;
use crate::http::error::AppError;
use crate::meeting::Meeting;

/// How long reaching the owner may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the owner may take to answer a forwarded request.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The meeting a path is about: `/api/meetings/{id}/…` or `/ws/{id}/…`.
fn meeting_in_path(path: &str) -> Option<Uuid> {
    let rest = path
        .strip_prefix("/api/meetings/")
        .or_else(|| path.strip_prefix("/ws/"))?;
    let id = rest.split('/').next()?;
    Uuid::parse_str(id).ok()
}

/// Middleware: requests about a meeting another process owns go there;
/// the rest (and whatever another process forwarded here) go on.
pub(crate) async fn to_owner(
    State(app): State<Arc<AppState>>,
    ClientAddr(client): ClientAddr,
    req: Request,
    next: Next,
) -> Response {
    let (Some(cluster), Some(meeting)) = (app.hub.cluster(), meeting_in_path(req.uri().path()))
    else {
        return next.run(req).await;
    };
    if cluster.is_peer(req.headers().get(PEER_HEADER).map(|v| v.as_bytes())) {
        return next.run(req).await;
    }
    match cluster.reach(meeting).await {
        Ok(Owner::Here(_) | Owner::Unknown) => next.run(req).await,
        Ok(Owner::There { address, epoch }) => {
            // An observer's socket is served here, from this process's
            // copy of the meeting; everything else goes to the owner.
            let token = observer_socket_token(&req);
            if let Some(copy) = copy_for_observer(&app, client, meeting, token).await {
                let mut req = req;
                req.extensions_mut().insert(FollowCopy(copy));
                return next.run(req).await;
            }
            match connect(&address).await {
                Ok(stream) => {
                    let response = forward_on(stream, cluster, req, &address, client).await;
                    // The owner gone quiet or no longer the owner: where
                    // the meeting runs is read again next time.
                    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                        cluster.forget_owner(meeting);
                    }
                    response
                }
                // Nothing listens there: the owner is gone. Its meeting is
                // taken over now rather than when its lease expires (its
                // epoch rises, so nothing more of it would commit).
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    match cluster.take_over(meeting, epoch).await {
                        Ok(Owner::Here(_)) => next.run(req).await,
                        _ => owner_unreachable(&address, e),
                    }
                }
                Err(e) => {
                    cluster.forget_owner(meeting);
                    owner_unreachable(&address, e)
                }
            }
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// A socket to be served from this process's copy of its meeting.
#[derive(Clone)]
pub(crate) struct FollowCopy(pub Arc<Meeting>);

/// The token of a socket request.
fn observer_socket_token(req: &Request) -> Option<String> {
    if !req.uri().path().starts_with("/ws/") {
        return None;
    }
    let Query(mut query) = Query::<HashMap<String, String>>::try_from_uri(req.uri()).ok()?;
    query.remove("token")
}

/// This process's copy of `meeting`, if `token` is an observer's. A token
/// the copy does not know is looked up in the database only for an address
/// not refused sign-ins for failing too often, and counts as a failure if
/// it is nobody's (the owner then answers it as usual).
async fn copy_for_observer(
    app: &AppState,
    client: IpAddr,
    meeting: Uuid,
    token: Option<String>,
) -> Option<Arc<Meeting>> {
    let token = token?;
    let copy = app.hub.replica(meeting).await.ok()?;
    let member = match copy.member_by_token(&token) {
        Some(m) => m,
        None => {
            app.abuse.failed_sign_ins.check(client).ok()?;
            let found = app.hub.look_up_member(&copy, meeting, &token).await.ok()?;
            if found.is_none() {
                let _ = app.abuse.failed_sign_ins.take(client);
            }
            found?
        }
    };
    (member.role == Role::Observer).then_some(copy)
}

/// The refusal when the owner cannot be reached: retried by clients, as
/// its lease expires and another process takes the meeting.
fn owner_unreachable(address: &str, why: impl std::fmt::Display) -> Response {
    tracing::warn!(owner = address, error = %why, "the meeting's owner does not answer");
    AppError::new(
        draftroom_shared::ErrorCode::Unavailable,
        "the server running this meeting does not answer; try again in a moment",
    )
    .into_response()
}

/// A connection to the process at `address`.
async fn connect(address: &str) -> std::io::Result<TcpStream> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Sends `req` to the process at `address` and answers its response.
pub(crate) async fn forward(
    cluster: &Cluster,
    req: Request,
    address: &str,
    client: IpAddr,
) -> Response {
    match connect(address).await {
        Ok(stream) => forward_on(stream, cluster, req, address, client).await,
        Err(e) => owner_unreachable(address, e),
    }
}

/// Sends `req` over `stream` to the process at `address`.
async fn forward_on(
    stream: TcpStream,
    cluster: &Cluster,
    mut req: Request,
    address: &str,
    client: IpAddr,
) -> Response {
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(e) => return owner_unreachable(address, e),
        };
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!(error = %e, "forwarded connection ended");
        }
    });

    let headers = req.headers_mut();
    headers.remove(PEER_HEADER);
    headers.remove(CLIENT_HEADER);
    if let Ok(v) = HeaderValue::from_str(cluster.secret()) {
        headers.insert(PEER_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&client.to_string()) {
        headers.insert(CLIENT_HEADER, v);
    }
    if let Ok(v) = HeaderValue::from_str(address) {
        headers.insert(header::HOST, v);
    }
    // Origin-form: the path and query only.
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *req.uri_mut() = path
        .parse::<Uri>()
        .unwrap_or_else(|_| Uri::from_static("/"));
    let client_side = hyper::upgrade::on(&mut req);

    // A paused owner accepts the connection and never answers.
    let mut response = match tokio::time::timeout(ANSWER_TIMEOUT, sender.send_request(req)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return owner_unreachable(address, e),
        Err(_) => return owner_unreachable(address, "no answer in time"),
    };
    if response.status() == StatusCode::SWITCHING_PROTOCOLS {
        let owner_side = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            let (Ok(client), Ok(owner)) = tokio::join!(client_side, owner_side) else {
                tracing::debug!("a forwarded upgrade did not complete");
                return;
            };
            let (mut client, mut owner) = (TokioIo::new(client), TokioIo::new(owner));
            let _ = tokio::io::copy_bidirectional(&mut client, &mut owner).await;
        });
    }
    response.map(Body::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meeting_is_read_off_api_and_socket_paths() {
        let id = Uuid::from_u128(7);
        for path in [
            format!("/api/meetings/{id}"),
            format!("/api/meetings/{id}/freeze"),
            format!("/ws/{id}/draft"),
            format!("/ws/{id}/amendment/{id}"),
        ] {
            assert_eq!(meeting_in_path(&path), Some(id), "{path}");
        }
        for path in ["/api/meetings", "/api/codes", "/ws/nope/draft", "/", "/m/x"] {
            assert_eq!(meeting_in_path(path), None, "{path}");
        }
    }
}
