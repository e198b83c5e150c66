//! The method's commands over HTTP: stage moves, elements pulled into the
//! draft and clauses linked to them, signals on clauses, consensus checks
//! and the consensus view. Translation only: the meeting checks and does.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use draftroom_shared::Stage;
use serde_json::json;
use uuid::Uuid;

use crate::http::api::{Caller, path_uuid};
use crate::http::error::{ApiJson, AppError};
use crate::meeting::commands::consensus::Given;

/// `POST …/people` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Person {
    name: String,
}

/// `POST /api/meetings/{id}/people` `{"name"}` (moderator): someone in the
/// room without a device, a participant nobody signs in as.
pub(crate) async fn add_person(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<Person>,
) -> Result<impl IntoResponse, AppError> {
    let joined = meeting.add_person(&me, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user_id": joined.user_id, "name": body.name.trim(), "role": joined.role })),
    ))
}

/// `POST …/stage` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageMove {
    stage: String,
}

/// `POST /api/meetings/{id}/stage` `{"stage"}` (moderator)
pub(crate) async fn set_stage(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<StageMove>,
) -> Result<impl IntoResponse, AppError> {
    let to: Stage = body
        .stage
        .parse()
        .map_err(|e: draftroom_shared::UnknownStage| AppError::bad_request(e.to_string()))?;
    let stage = meeting.set_stage(&me, to).await?;
    Ok(Json(json!({ "stage": stage })))
}

/// `POST /api/meetings/{id}/elements/{eid}/pull` (moderator)
pub(crate) async fn pull_element(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, eid)): Path<(String, String)>,
) -> Result<impl IntoResponse, AppError> {
    let element = path_uuid(&eid, "element")?;
    let clause = meeting.pull_element(&me, element).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "clause_id": clause, "element_id": element })),
    ))
}

/// `POST …/clauses/{clause}/elements` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ElementLink {
    element_id: Uuid,
    #[serde(default = "yes")]
    linked: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/meetings/{id}/clauses/{clause}/elements` `{"element_id","linked"}` (moderator)
pub(crate) async fn link_element(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, clause)): Path<(String, String)>,
    ApiJson(body): ApiJson<ElementLink>,
) -> Result<impl IntoResponse, AppError> {
    let clause = path_uuid(&clause, "clause")?;
    meeting
        .link_element(&me, clause, body.element_id, body.linked)
        .await?;
    Ok(Json(
        json!({ "clause_id": clause, "element_id": body.element_id, "linked": body.linked }),
    ))
}

/// `POST …/clauses/{clause}/signals` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignalBody {
    signal: String,
    sha256: String,
    reason: Option<String>,
    user_id: Option<Uuid>,
}

/// `POST /api/meetings/{id}/clauses/{clause}/signals`
/// `{"signal","sha256","reason","user_id"}`
pub(crate) async fn give_signal(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, clause)): Path<(String, String)>,
    ApiJson(body): ApiJson<SignalBody>,
) -> Result<impl IntoResponse, AppError> {
    let clause = path_uuid(&clause, "clause")?;
    let given = Given {
        stance: &body.signal,
        reason: body.reason.as_deref(),
        user: body.user_id,
    };
    let s = meeting
        .give_signal(&me, clause, given, &body.sha256)
        .await?;
    Ok(Json(json!({
        "clause_id": s.clause_id, "user_id": s.user_id, "signal": s.signal,
        "reason": s.reason, "sha256": s.sha256, "recorded_by": s.recorded_by,
    })))
}

/// `POST …/checks` body.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCheck {
    #[serde(default)]
    hidden: bool,
}

/// `POST /api/meetings/{id}/checks` `{"hidden"}` (moderator)
pub(crate) async fn open_check(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<NewCheck>,
) -> Result<impl IntoResponse, AppError> {
    let k = meeting.open_check(&me, body.hidden).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "number": k.number, "sha256": k.sha256, "text": k.text,
            "hidden": k.hidden, "eligible": k.eligible,
        })),
    ))
}

fn check_number(s: &str) -> Result<u32, AppError> {
    s.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found(format!("no check {s}")))
}

/// `POST …/checks/{n}/answers` body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    answer: String,
    reason: Option<String>,
    user_id: Option<Uuid>,
}

/// `POST /api/meetings/{id}/checks/{n}/answers` `{"answer","reason","user_id"}`
pub(crate) async fn answer_check(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, n)): Path<(String, String)>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<impl IntoResponse, AppError> {
    let given = Given {
        stance: &body.answer,
        reason: body.reason.as_deref(),
        user: body.user_id,
    };
    let a = meeting.answer_check(&me, check_number(&n)?, given).await?;
    // The answer is its giver's to know; a hidden check shows it to
    // nobody else until it closes.
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "user_id": a.user_id, "answer": a.answer, "reason": a.reason,
            "recorded_by": a.recorded_by,
        })),
    ))
}

/// `POST /api/meetings/{id}/checks/{n}/close` (moderator)
pub(crate) async fn close_check(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, n)): Path<(String, String)>,
) -> Result<impl IntoResponse, AppError> {
    let k = meeting.close_check(&me, check_number(&n)?).await?;
    Ok(Json(json!({
        "number": k.number, "sha256": k.sha256, "closed_at": k.closed_at,
        "answered": k.answers.len(), "eligible": k.eligible,
    })))
}

/// `GET /api/meetings/{id}/consensus`
pub(crate) async fn consensus(
    Caller { meeting, .. }: Caller,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(meeting.consensus_view().await?))
}
