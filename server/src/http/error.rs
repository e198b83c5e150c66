//! The one error type of the edge, and its one mapping: to an HTTP
//! response (`{"error":{"code","message"}}` with the status that goes with
//! the code) and to a WebSocket close code. A meeting's refusals
//! ([`MeetingError`]) and the store's failures convert into it.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use draftroom_shared::{ClauseChanged, ErrorBody, ErrorCode, ErrorDetail, Stage, close};
use serde::de::DeserializeOwned;

use crate::meeting::MeetingError;
use crate::store::StoreError;

/// An error answered to an HTTP client.
#[derive(Debug, Clone)]
pub struct AppError {
    /// Machine-readable code; decides the status.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// For 429: when to try again (`Retry-After`).
    pub retry_after: Option<std::time::Duration>,
    /// For `clause_changed`: the texts the client is shown.
    pub clause_changed: Option<Box<ClauseChanged>>,
    /// For a conflict with the meeting's stage: the stage it is in.
    pub stage: Option<Stage>,
}

impl AppError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            retry_after: None,
            clause_changed: None,
            stage: None,
        }
    }
    /// 429, with when to try again.
    pub fn too_many(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        AppError {
            retry_after: Some(retry_after),
            ..Self::new(ErrorCode::TooManyRequests, message)
        }
    }
    /// 400
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
    /// 401
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }
    /// 403
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    /// 404
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    /// 409
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    /// 409 `clause_changed`, with the texts.
    pub fn clause_changed(message: impl Into<String>, texts: ClauseChanged) -> Self {
        AppError {
            clause_changed: Some(Box::new(texts)),
            ..Self::new(ErrorCode::ClauseChanged, message)
        }
    }
}

impl AppError {
    /// The close code a WebSocket refused with this error gets: final
    /// (4401, 4404) where the client must not retry, else one it retries.
    pub fn close_code(&self) -> u16 {
        match self.code {
            ErrorCode::Unauthorized => close::UNAUTHORIZED,
            ErrorCode::NotFound => close::NOT_FOUND,
            ErrorCode::TooManyRequests => close::TOO_FAST,
            _ => close::INTERNAL,
        }
    }
}

impl From<MeetingError> for AppError {
    fn from(e: MeetingError) -> Self {
        let code = e.code();
        match e {
            MeetingError::Storage(e) => e.into(),
            MeetingError::RoomNotLoaded(_) => AppError::new(code, "storage is failing; try again"),
            MeetingError::ClauseChanged { message, texts } => AppError {
                clause_changed: Some(texts),
                ..AppError::new(code, message)
            },
            MeetingError::WrongStage { message, stage } => AppError {
                stage: Some(stage),
                ..AppError::new(code, message)
            },
            e => AppError::new(code, e.to_string()),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "request refused: storage unavailable");
                AppError::new(
                    ErrorCode::Unavailable,
                    "storage unavailable: the server cannot store changes right now; nothing was changed, try again shortly",
                )
            }
            e => {
                tracing::error!(error = %e, "request failed in the store");
                AppError::new(
                    ErrorCode::Unavailable,
                    "storage is failing; nothing was changed, try again",
                )
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                clause_changed: self.clause_changed.map(|t| *t),
                stage: self.stage,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    }
}

/// A JSON body whose rejections are answered as [`AppError`]s.
pub(crate) struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A request body that may be absent, read as JSON only by the command
/// that takes one: no body (or only whitespace) is `None`, so a caller
/// with nothing to say sends nothing.
pub(crate) struct OptionalBody {
    /// Whether the request said `Content-Type: application/json`.
    json_type: bool,
    bytes: axum::body::Bytes,
}

impl OptionalBody {
    /// The body as JSON, or None if there is none.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<Option<T>, AppError> {
        if self.bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !self.json_type {
            return Err(AppError::bad_request(
                "expected a JSON body with Content-Type: application/json",
            ));
        }
        serde_json::from_slice(&self.bytes)
            .map(Some)
            .map_err(|e| AppError::bad_request(format!("the JSON body does not fit: {e}")))
    }
}

impl<S: Send + Sync> FromRequest<S> for OptionalBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let essence = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                essence == "application/json"
                    || (essence.starts_with("application/") && essence.ends_with("+json"))
            });
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::new(ErrorCode::TooLarge, "the request body is too large")
                } else {
                    AppError::bad_request(rejection.body_text())
                }
            })?;
        Ok(OptionalBody { json_type, bytes })
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::new(ErrorCode::TooLarge, "the request body is too large");
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            AppError::bad_request("expected a JSON body with Content-Type: application/json")
        }
        other => AppError::bad_request(other.body_text()),
    }
}
