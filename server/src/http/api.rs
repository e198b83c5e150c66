//! The HTTP commands of the external interface (see DESIGN.md). Handlers
//! only translate between HTTP and the meeting: who calls ([`Caller`]),
//! what they ask, and the answer's shape.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use draftroom_shared::{
    AcceptAmendment, ClauseOrder, CreateMeeting, ErrorCode, GrantEditor, Invitation, Join,
    Language, MoveClause, ParticipantCode, RotateInvites,
};
use serde_json::json;
use uuid::Uuid;

use crate::http::AppState;
use crate::http::abuse::ClientAddr;
use crate::http::error::{ApiJson, AppError, OptionalBody};
use crate::meeting::Member;
use crate::meeting::{Meeting, MeetingError};

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

/// The meeting and the member a request's token names, for every handler
/// under `/api/meetings/{id}` that needs a member: `Authorization: Bearer
/// T`, checked before the body is read. An address with too many failed
/// sign-ins is refused before its token is looked at.
pub(crate) struct Caller {
    /// The meeting of the path.
    pub meeting: Arc<Meeting>,
    /// The member the token names.
    pub member: Member,
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<AppState>) -> Result<Self, AppError> {
        let Ok(ClientAddr(addr)) = ClientAddr::from_request_parts(parts, app).await;
        app.abuse.failed_sign_ins.check(addr)?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, app)
            .await
            .map_err(|_| AppError::not_found("no such meeting"))?;
        let id = meeting_id(params.get("id").map_or("", String::as_str))?;
        let token = bearer(&parts.headers).inspect_err(|_| failed_sign_in(app, addr))?;
        let (meeting, member) = signing_in(
            app,
            addr,
            app.hub
                .authenticate(id, token)
                .await
                .map_err(AppError::from),
        )?;
        Ok(Caller { meeting, member })
    }
}

/// Counts a bad token or invite against the address.
fn failed_sign_in(app: &AppState, addr: IpAddr) {
    let _ = app.abuse.failed_sign_ins.take(addr);
}

/// Passes on what a token or invite opened, counting a refusal of it
/// (401) against the address.
fn signing_in<T>(app: &AppState, addr: IpAddr, result: Result<T, AppError>) -> Result<T, AppError> {
    result.inspect_err(|e| {
        if e.code == ErrorCode::Unauthorized {
            failed_sign_in(app, addr);
        }
    })
}

/// `GET /healthz`
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// `POST /api/meetings`
pub(crate) async fn create_meeting(
    State(app): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<CreateMeeting>,
) -> Result<impl IntoResponse, AppError> {
    app.abuse.meetings.take(addr)?;
    let created = app
        .hub
        .create_meeting(
            &body.title,
            &body.moderator_name,
            body.language.unwrap_or_default(),
            body.workshop,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/meetings/{id}`: the meeting as the caller sees it.
pub(crate) async fn show_meeting(
    Caller {
        meeting,
        member: me,
    }: Caller,
) -> Result<impl IntoResponse, AppError> {
    let (title, created_at, frozen, language) = {
        let st = meeting.state();
        (st.title.clone(), st.created_at, st.frozen(), st.language)
    };
    Ok(Json(json!({
        "id": meeting.id,
        "title": title,
        "created_at": created_at,
        "frozen": frozen,
        "language": language,
        "you": { "user_id": me.id, "name": me.name, "role": me.role, "colour": me.colour },
    })))
}

/// `POST /api/meetings/{id}/invitation`: checked like a join (a bad
/// invite counts as a failed sign-in), but makes no member.
pub(crate) async fn invitation(
    State(app): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Invitation>,
) -> Result<impl IntoResponse, AppError> {
    app.abuse.failed_sign_ins.check(addr)?;
    let invited = app.hub.invitation(meeting_id(&id)?, &body.invite).await;
    let invited = signing_in(&app, addr, invited.map_err(AppError::from))?;
    Ok(Json(invited))
}

/// `POST /api/codes` `{"code"}`: the meeting a participant code opens.
/// Like an invitation, a code that opens nothing is a failed sign-in, so
/// guessing codes is limited per address.
pub(crate) async fn resolve_code(
    State(app): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<ParticipantCode>,
) -> Result<axum::response::Response, AppError> {
    app.abuse.failed_sign_ins.check(addr)?;
    let opens = app.hub.resolve_code(&body.code).await;
    // The code's meeting runs on another process of the cluster: it
    // answers (and counts a failure against the address).
    if let (Err(MeetingError::Moved(owner)), Some(cluster)) = (&opens, app.hub.cluster()) {
        let again = axum::http::Request::post("/api/codes")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(
                serde_json::to_vec(&body).unwrap_or_default(),
            ))
            .map_err(|_| AppError::bad_request("this code cannot be sent on"))?;
        return Ok(crate::http::forward::forward(cluster, again, owner, addr).await);
    }
    Ok(Json(signing_in(&app, addr, opens.map_err(AppError::from))?).into_response())
}

/// `POST /api/meetings/{id}/join`
pub(crate) async fn join(
    State(app): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Join>,
) -> Result<impl IntoResponse, AppError> {
    app.abuse.failed_sign_ins.check(addr)?;
    app.abuse.joins.take(addr)?;
    let joined = app
        .hub
        .join(meeting_id(&id)?, &body.invite, &body.name)
        .await;
    let joined = signing_in(&app, addr, joined.map_err(AppError::from))?;
    Ok(Json(joined))
}

/// `POST /api/meetings/{id}/editors`
pub(crate) async fn grant_editor(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<GrantEditor>,
) -> Result<impl IntoResponse, AppError> {
    let m = meeting.grant_editor(&me, body.user_id).await?;
    Ok(Json(json!({ "user_id": m.id, "role": m.role })))
}

/// `POST /api/meetings/{id}/invites/rotate`
pub(crate) async fn rotate_invites(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<RotateInvites>,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(meeting.rotate_invites(&me, body).await?))
}

/// Any other `/api` path.
pub(crate) async fn not_found() -> AppError {
    AppError::not_found("no such API path")
}

/// A known path with the wrong method.
pub(crate) async fn method_not_allowed() -> AppError {
    AppError::new(
        draftroom_shared::ErrorCode::MethodNotAllowed,
        "this path does not take that method",
    )
}

/// `{"clause_id"}` of a new amendment.
#[derive(serde::Deserialize)]
pub(crate) struct OpenAmendment {
    clause_id: String,
}

/// The id in a path that must be a UUID.
pub(crate) fn path_uuid(s: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s).map_err(|_| AppError::not_found(format!("no such {what}")))
}

/// `POST /api/meetings/{id}/amendments`
pub(crate) async fn open_amendment(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<OpenAmendment>,
) -> Result<impl IntoResponse, AppError> {
    let opened = meeting.open_amendment(&me, &body.clause_id).await?;
    let a = opened.amendment;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": a.id,
            "room": format!("amendment/{}", a.id),
            "clause_id": a.clause_id,
            "text": opened.text,
        })),
    ))
}

/// `GET /api/meetings/{id}/amendments`
pub(crate) async fn list_amendments(
    Caller { meeting, .. }: Caller,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(meeting.amendments_view().await?))
}

/// `POST /api/meetings/{id}/amendments/{aid}/{support|accept|reject}`;
/// accept takes an optional body `{"clause_sha256"}`, the others none.
pub(crate) async fn decide_amendment(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, aid, action)): Path<(String, String, String)>,
    body: OptionalBody,
) -> Result<impl IntoResponse, AppError> {
    let aid = path_uuid(&aid, "amendment")?;
    match action.as_str() {
        "support" => {
            let supporters = meeting.support(&me, aid).await?;
            Ok(Json(json!({ "id": aid, "supporters": supporters })))
        }
        "accept" => {
            let seen: Option<AcceptAmendment> = body.json()?;
            let seen = seen.and_then(|b| b.clause_sha256);
            let (clause_id, text) = meeting.accept(&me, aid, seen.as_deref()).await?;
            Ok(Json(json!({
                "id": aid, "status": "accepted", "clause_id": clause_id, "text": text,
            })))
        }
        "reject" => {
            meeting.reject(&me, aid).await?;
            Ok(Json(json!({ "id": aid, "status": "rejected" })))
        }
        _ => Err(AppError::not_found("no such API path")),
    }
}

/// `POST …/freeze` body, which may be absent.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FreezeBody {
    reason: Option<String>,
}

/// `POST /api/meetings/{id}/freeze` (optionally `{"reason"}`)
pub(crate) async fn freeze(
    Caller {
        meeting,
        member: me,
    }: Caller,
    body: OptionalBody,
) -> Result<impl IntoResponse, AppError> {
    let reason = body.json::<FreezeBody>()?.and_then(|b| b.reason);
    let v = meeting.freeze(&me, reason.as_deref()).await?;
    Ok(Json(json!({
        "version": v.number, "sha256": v.sha256, "text": v.text, "created_at": v.created_at,
        "reason": v.reason,
    })))
}

/// `POST /api/meetings/{id}/reopen`
pub(crate) async fn reopen(
    Caller {
        meeting,
        member: me,
    }: Caller,
) -> Result<impl IntoResponse, AppError> {
    meeting.reopen(&me).await?;
    Ok(Json(json!({ "phase": "drafting" })))
}

/// `GET /api/meetings/{id}/versions`
pub(crate) async fn versions(
    Caller { meeting, .. }: Caller,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(meeting.versions_view()))
}

/// `GET /api/meetings/{id}/catalogue`: the working groups, their elements
/// and share marks, and the common ground computed from them.
pub(crate) async fn catalogue(
    Caller { meeting, .. }: Caller,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(meeting.catalogue_view().await?))
}

/// `{"name"}` of a new working group.
#[derive(serde::Deserialize)]
pub(crate) struct NewGroup {
    name: String,
}

/// `POST /api/meetings/{id}/groups` (moderator)
pub(crate) async fn create_group(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<NewGroup>,
) -> Result<impl IntoResponse, AppError> {
    let g = meeting.create_group(&me, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": g.id, "label": g.label, "name": g.name })),
    ))
}

/// `{"user_id"}` to put someone in a group; none joins it oneself.
#[derive(serde::Deserialize, Default)]
pub(crate) struct GroupMember {
    user_id: Option<Uuid>,
}

/// `POST /api/meetings/{id}/groups/{gid}/members`
pub(crate) async fn put_in_group(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, gid)): Path<(String, String)>,
    body: OptionalBody,
) -> Result<impl IntoResponse, AppError> {
    let gid = path_uuid(&gid, "group")?;
    let body: GroupMember = body.json()?.unwrap_or_default();
    meeting.put_in_group(&me, gid, body.user_id).await?;
    Ok(Json(
        json!({ "group_id": gid, "user_id": body.user_id.unwrap_or(me.id) }),
    ))
}

/// `{"text","group_id"}` of a new element (`group_id` for the moderator).
#[derive(serde::Deserialize)]
pub(crate) struct NewElement {
    text: String,
    group_id: Option<Uuid>,
}

/// `POST /api/meetings/{id}/elements`
pub(crate) async fn add_element(
    Caller {
        meeting,
        member: me,
    }: Caller,
    ApiJson(body): ApiJson<NewElement>,
) -> Result<impl IntoResponse, AppError> {
    let (e, name) = meeting.add_element(&me, &body.text, body.group_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": e.id, "group_id": e.group_id, "name": name, "text": e.text })),
    ))
}

/// `{"shared","group_id"}` of a share mark (`group_id` for the moderator).
#[derive(serde::Deserialize)]
pub(crate) struct ShareMark {
    shared: bool,
    group_id: Option<Uuid>,
}

/// `POST /api/meetings/{id}/elements/{eid}/share`
pub(crate) async fn mark_share(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, eid)): Path<(String, String)>,
    ApiJson(body): ApiJson<ShareMark>,
) -> Result<impl IntoResponse, AppError> {
    let eid = path_uuid(&eid, "element")?;
    meeting
        .mark_share(&me, eid, body.group_id, body.shared)
        .await?;
    Ok(Json(json!({ "element_id": eid, "shared": body.shared })))
}

/// `{"into"}`: what a duplicate is merged into.
#[derive(serde::Deserialize)]
pub(crate) struct MergeInto {
    into: Uuid,
}

/// `{"parts"}`: what a compound element is split into.
#[derive(serde::Deserialize)]
pub(crate) struct SplitInto {
    parts: Vec<String>,
}

/// `{"value","under"}`: an element marked a value (or not) and nested
/// under a value (`"under": null` takes it out); either may be left out.
#[derive(serde::Deserialize)]
pub(crate) struct ValueMark {
    value: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    under: Option<Option<Uuid>>,
}

/// A field that is there, even as null, is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// `POST /api/meetings/{id}/elements/{eid}/{merge|split|value}` (moderator)
pub(crate) async fn tend_element(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, eid, action)): Path<(String, String, String)>,
    body: OptionalBody,
) -> Result<axum::response::Response, AppError> {
    let eid = path_uuid(&eid, "element")?;
    let required = || AppError::bad_request("this command takes a JSON body");
    match action.as_str() {
        "merge" => {
            let MergeInto { into } = body.json()?.ok_or_else(required)?;
            meeting.merge_elements(&me, eid, into).await?;
            Ok(Json(json!({ "id": eid, "merged_into": into })).into_response())
        }
        "split" => {
            let SplitInto { parts } = body.json()?.ok_or_else(required)?;
            let made = meeting.split_element(&me, eid, &parts).await?;
            let made: Vec<_> = made
                .iter()
                .map(|(e, name)| json!({ "id": e.id, "name": name, "text": e.text }))
                .collect();
            Ok((
                StatusCode::CREATED,
                Json(json!({ "id": eid, "parts": made })),
            )
                .into_response())
        }
        "value" => {
            let ValueMark { value, under } = body.json()?.ok_or_else(required)?;
            meeting.mark_value(&me, eid, value, under).await?;
            Ok(Json(json!({ "id": eid })).into_response())
        }
        _ => Err(AppError::not_found("no such API path")),
    }
}

/// `?format=` of a version or the report, and `?lang=` to write it in
/// another language than the meeting's.
#[derive(serde::Deserialize, Default)]
pub(crate) struct FormatQuery {
    format: Option<String>,
    lang: Option<String>,
}

impl FormatQuery {
    /// The language asked for, else the meeting's.
    fn language(&self, meeting: &Meeting) -> Result<Language, AppError> {
        match self.lang.as_deref() {
            None => Ok(meeting.state().language),
            Some(tag) => tag
                .parse()
                .map_err(|_| AppError::bad_request("lang must be pl or en")),
        }
    }
}

fn version_number(s: &str) -> Result<u32, AppError> {
    s.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found(format!("no version {s}")))
}

fn typed(content_type: &'static str, body: String) -> axum::response::Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /api/meetings/{id}/versions/{n}?format=json|md|txt&lang=pl|en`
pub(crate) async fn version(
    Caller { meeting, .. }: Caller,
    Path((_, n)): Path<(String, String)>,
    Query(q): Query<FormatQuery>,
) -> Result<axum::response::Response, AppError> {
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "md" | "txt") {
        return Err(AppError::bad_request("format must be json, md or txt"));
    }
    let language = q.language(&meeting)?;
    let v = meeting.version(version_number(&n)?).await?;
    Ok(match format {
        "txt" => typed("text/plain; charset=utf-8", v.text),
        "md" => {
            let title = meeting.state().title.clone();
            let md = v.markdown(&title, language);
            typed("text/markdown; charset=utf-8", md)
        }
        _ => Json(v).into_response(),
    })
}

/// `GET /api/meetings/{id}/versions/{a}/diff/{b}`
pub(crate) async fn version_diff(
    Caller { meeting, .. }: Caller,
    Path((_, a, b)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, AppError> {
    Ok(Json(
        meeting.version_diff(version_number(&a)?, version_number(&b)?)?,
    ))
}

/// `GET /api/meetings/{id}/clauses/{clause_id}/{history|authors}`
pub(crate) async fn clause(
    Caller { meeting, .. }: Caller,
    Path((_, clause, what)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, AppError> {
    match what.as_str() {
        "history" => Ok(Json(meeting.clause_history(&clause).await?)),
        "authors" => Ok(Json(meeting.clause_authors(&clause).await?)),
        _ => Err(AppError::not_found("no such API path")),
    }
}

/// `POST /api/meetings/{id}/clauses/{clause_id}/move` `{"to"}`
pub(crate) async fn move_clause(
    Caller {
        meeting,
        member: me,
    }: Caller,
    Path((_, clause)): Path<(String, String)>,
    ApiJson(body): ApiJson<MoveClause>,
) -> Result<impl IntoResponse, AppError> {
    let clauses = meeting.move_clause(&me, &clause, body.to).await?;
    Ok(Json(ClauseOrder { clauses }))
}

/// `GET /api/meetings/{id}/report?format=md|html&lang=pl|en`
pub(crate) async fn report(
    Caller { meeting, .. }: Caller,
    Query(q): Query<FormatQuery>,
) -> Result<axum::response::Response, AppError> {
    let format = q.format.as_deref().unwrap_or("md");
    if !matches!(format, "md" | "html") {
        return Err(AppError::bad_request("format must be md or html"));
    }
    let language = q.language(&meeting)?;
    let report = meeting.report().await?;
    Ok(match format {
        "html" => typed("text/html; charset=utf-8", report.html(language)),
        _ => typed("text/markdown; charset=utf-8", report.markdown(language)),
    })
}
