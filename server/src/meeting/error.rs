//! Why a meeting refused a command or could not answer: the one error type
//! at the meeting's boundary. The HTTP edge turns it into a status and a
//! close code (see `crate::http::error`); nothing here knows of either.

use draftroom_shared::{ClauseChanged, ErrorCode, Stage};

use crate::store::StoreError;

/// A command refused, or a question the meeting could not answer.
#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    /// The input does not make sense (an empty name, a bad hash).
    #[error("{0}")]
    Invalid(String),
    /// No token or invite, or one this meeting does not know.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role may not do this (see `crate::meeting::rights`).
    #[error("{0}")]
    Forbidden(String),
    /// No such meeting, member, amendment, clause or version.
    #[error("{0}")]
    NotFound(String),
    /// The meeting's state does not allow it now (frozen, decided, …).
    #[error("{0}")]
    Conflict(String),
    /// The meeting's stage does not take this command now.
    #[error("{message}")]
    WrongStage {
        /// The sentence for people.
        message: String,
        /// The stage the meeting is in.
        stage: Stage,
    },
    /// A signal or answer on a wording that changed since.
    #[error("{0}")]
    WordingChanged(String),
    /// A freeze without a closed check on the text, or over blocks, and
    /// without a written reason.
    #[error("{0}")]
    NoConsensus(String),
    /// An acceptance would overwrite words its moderator has not seen.
    #[error("{message}")]
    ClauseChanged {
        /// The sentence for people.
        message: String,
        /// The texts the client is shown.
        texts: Box<ClauseChanged>,
    },
    /// The store refused or failed; nothing was changed.
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// A room could not be loaded from the store.
    #[error("a room could not be loaded: {0}")]
    RoomNotLoaded(String),
    /// A change was applied in memory but could not be made durable: the
    /// room reloads from the store, and the caller tries again.
    #[error("storage failed while recording this; try again")]
    NotStored,
    /// Another process of the cluster runs this meeting now (at this
    /// address); the caller goes there, or tries again.
    #[error("this meeting is run by another server now; try again")]
    Moved(String),
    /// Something stored does not decode, or the server's own edit was
    /// refused: a fault of the server, not of the caller.
    #[error("{0}")]
    Damaged(String),
}

impl MeetingError {
    /// 400-like: the input does not make sense.
    pub fn invalid(message: impl Into<String>) -> Self {
        MeetingError::Invalid(message.into())
    }
    /// 401-like: no or a foreign token or invite.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        MeetingError::Unauthorized(message.into())
    }
    /// 403-like: the role may not.
    pub fn forbidden(message: impl Into<String>) -> Self {
        MeetingError::Forbidden(message.into())
    }
    /// 404-like: no such thing.
    pub fn not_found(message: impl Into<String>) -> Self {
        MeetingError::NotFound(message.into())
    }
    /// 409-like: not in this state.
    pub fn conflict(message: impl Into<String>) -> Self {
        MeetingError::Conflict(message.into())
    }
    /// A fault of the server's own.
    pub fn damaged(message: impl Into<String>) -> Self {
        MeetingError::Damaged(message.into())
    }
    /// The stable code a client reads: what kind of refusal this is.
    pub fn code(&self) -> ErrorCode {
        match self {
            MeetingError::Invalid(_) => ErrorCode::BadRequest,
            MeetingError::Unauthorized(_) => ErrorCode::Unauthorized,
            MeetingError::Forbidden(_) => ErrorCode::Forbidden,
            MeetingError::NotFound(_) => ErrorCode::NotFound,
            MeetingError::Conflict(_) => ErrorCode::Conflict,
            MeetingError::ClauseChanged { .. } => ErrorCode::ClauseChanged,
            MeetingError::WrongStage { .. } => ErrorCode::Conflict,
            MeetingError::WordingChanged(_) => ErrorCode::WordingChanged,
            MeetingError::NoConsensus(_) => ErrorCode::NoConsensus,
            MeetingError::Storage(_)
            | MeetingError::RoomNotLoaded(_)
            | MeetingError::NotStored
            | MeetingError::Moved(_) => ErrorCode::Unavailable,
            MeetingError::Damaged(_) => ErrorCode::Internal,
        }
    }

    /// The texts of a `clause_changed` refusal.
    pub fn clause_changed(&self) -> Option<&ClauseChanged> {
        match self {
            MeetingError::ClauseChanged { texts, .. } => Some(texts),
            _ => None,
        }
    }
}
