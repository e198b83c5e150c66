//! The WebSocket endpoint `/ws/{meeting}/{room}?token=T`: authenticates the
//! connection, then runs two halves until either ends. The reader feeds
//! frames to the [`Session`]; the writer sends its replies, the room's
//! relayed frames and pings, and closes the socket with a code that says why.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use draftroom_shared::{RoomName, close};
use serde::Deserialize;
use tracing::Instrument;
use uuid::Uuid;

use crate::AppState;
use crate::connection;
use crate::meeting::{Meeting, Member};

/// Query of the WebSocket URL.
#[derive(Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

/// Upgrades, then authenticates; refusals are close frames, since browsers
/// cannot read the status of a failed upgrade.
pub async fn handler(
    State(app): State<Arc<AppState>>,
    Path((meeting, room)): Path<(String, String)>,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let limits = &app.config.limits;
    let ws = ws
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(limits.max_message_bytes * 4);
    let target = resolve(&app, &meeting, &room, query.token.as_deref()).await;
    ws.on_upgrade(move |socket| async move {
        match target {
            Err((code, reason)) => {
                tracing::debug!(code, reason, "websocket refused");
                close_now(socket, code, reason).await;
            }
            Ok((meeting, member, name)) => {
                let span = tracing::info_span!("conn", meeting = %meeting.id, room = %name, user = %member.id);
                connection::serve(app, meeting, member, name, socket).instrument(span).await;
            }
        }
    })
}

async fn resolve(
    app: &AppState,
    meeting: &str,
    room: &str,
    token: Option<&str>,
) -> Result<(Arc<Meeting>, Member, RoomName), (u16, &'static str)> {
    let id = Uuid::parse_str(meeting).map_err(|_| (close::NOT_FOUND, "no such meeting"))?;
    let name: RoomName = room
        .parse()
        .map_err(|_| (close::NOT_FOUND, "no such room"))?;
    let (meeting, member) = app
        .hub
        .authenticate(id, token)
        .await
        .map_err(|e| match e.code {
            draftroom_shared::ErrorCode::NotFound => (close::NOT_FOUND, "no such meeting"),
            draftroom_shared::ErrorCode::Unauthorized => (close::UNAUTHORIZED, "invalid token"),
            _ => (close::INTERNAL, "the server cannot open this meeting now"),
        })?;
    Ok((meeting, member, name))
}

async fn close_now(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}
