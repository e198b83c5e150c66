//! The HTTP commands of the external interface (see DESIGN.md). Handlers
//! only translate between HTTP and the [`crate::hub::Hub`].

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use draftroom_shared::{CreateMeeting, GrantEditor, Join, RotateInvites};
use serde_json::json;
use uuid::Uuid;

use crate::AppState;
use crate::error::{ApiJson, AppError};
use crate::meeting::Meeting;
use crate::meeting::Member;

/// The meeting id of a path; an id that is no UUID names no meeting.
fn meeting_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::not_found("no such meeting"))
}

/// The token of `Authorization: Bearer T`.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| AppError::unauthorized("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(AppError::unauthorized(
            "expected Authorization: Bearer <token>",
        )),
    }
}

async fn member(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<(Arc<Meeting>, Member), AppError> {
    let id = meeting_id(id)?;
    app.hub.authenticate(id, bearer(headers)?).await
}

/// `GET /healthz`
pub async fn healthz() -> &'static str {
    "ok"
}

/// `POST /api/meetings`
pub async fn create_meeting(
    State(app): State<Arc<AppState>>,
    ApiJson(body): ApiJson<CreateMeeting>,
) -> Result<impl IntoResponse, AppError> {
    let created = app
        .hub
        .create_meeting(&body.title, &body.moderator_name)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/meetings/{id}`: the meeting as the caller sees it.
pub async fn show_meeting(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    let (meeting, me) = member(&app, &id, &headers).await?;
    let (title, created_at, frozen) = {
        let st = meeting.state();
        (st.title.clone(), st.created_at, st.frozen)
    };
    Ok(Json(json!({
        "id": meeting.id,
        "title": title,
        "created_at": created_at,
        "frozen": frozen,
        "you": { "user_id": me.id, "name": me.name, "role": me.role, "colour": me.colour },
    })))
}

/// `POST /api/meetings/{id}/join`
pub async fn join(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Join>,
) -> Result<impl IntoResponse, AppError> {
    let joined = app
        .hub
        .join(meeting_id(&id)?, &body.invite, &body.name)
        .await?;
    Ok(Json(joined))
}

/// `POST /api/meetings/{id}/editors`
pub async fn grant_editor(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<GrantEditor>,
) -> Result<impl IntoResponse, AppError> {
    let (meeting, me) = member(&app, &id, &headers).await?;
    let m = app.hub.grant_editor(&meeting, &me, body.user_id).await?;
    Ok(Json(json!({ "user_id": m.id, "role": m.role })))
}

/// `POST /api/meetings/{id}/invites/rotate`
pub async fn rotate_invites(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RotateInvites>,
) -> Result<impl IntoResponse, AppError> {
    let (meeting, me) = member(&app, &id, &headers).await?;
    Ok(Json(app.hub.rotate_invites(&meeting, &me, body).await?))
}

/// Any other `/api` path.
pub async fn not_found() -> AppError {
    AppError::not_found("no such API path")
}

/// A known path with the wrong method.
pub async fn method_not_allowed() -> AppError {
    AppError::new(
        draftroom_shared::ErrorCode::MethodNotAllowed,
        "this path does not take that method",
    )
}
