//! Wire types of Draftroom: what the HTTP API takes and answers, the roles,
//! the rooms of a meeting and the error codes. Plain data with serde, shared
//! by the server, the tests and any Rust client; no runtime in here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// What a member of a meeting may do; the server enforces it (see DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates the meeting, co-edits the draft, decides on amendments, freezes.
    Moderator,
    /// A participant the moderator lets co-edit the draft directly.
    Editor,
    /// Proposes and supports amendments; does not write the draft.
    Participant,
    /// Follows along read-only.
    Observer,
}

impl Role {
    /// The lower-case name used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Moderator => "moderator",
            Role::Editor => "editor",
            Role::Participant => "participant",
            Role::Observer => "observer",
        }
    }

    /// Whether this role may write the draft (when it is not frozen).
    pub fn writes_draft(self) -> bool {
        matches!(self, Role::Moderator | Role::Editor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "moderator" => Ok(Role::Moderator),
            "editor" => Ok(Role::Editor),
            "participant" => Ok(Role::Participant),
            "observer" => Ok(Role::Observer),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

/// A role name that is none of the four.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role {:?}", self.0)
    }
}

impl std::error::Error for UnknownRole {}

/// The language a meeting is held in: its record (the report, a version's
/// Markdown) is written in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// `pl`: Polish.
    Pl,
    /// `en`: English, when a meeting says nothing.
    #[default]
    En,
}

impl Language {
    /// The language's tag, as on the wire, in the store and in HTML `lang`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Pl => "pl",
            Language::En => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = UnknownLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pl" => Ok(Language::Pl),
            "en" => Ok(Language::En),
            _ => Err(UnknownLanguage(s.to_owned())),
        }
    }
}

/// A language tag that is neither `pl` nor `en`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLanguage(pub String);

impl fmt::Display for UnknownLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown language {:?}: expected pl or en", self.0)
    }
}

impl std::error::Error for UnknownLanguage {}

/// Where a meeting stands in the workshop's method. The moderator moves it
/// through collect → common ground → draft → amend ⇄ agree → frozen (and
/// back to amend by reopening); every command is checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// `collect`: the working groups list their elements.
    Collect,
    /// `common_ground`: each group marks what it shares of the others'
    /// elements; the moderator merges, splits and marks values.
    CommonGround,
    /// `draft`: the moderator writes a first wording from the common ground.
    Draft,
    /// `amend`: everybody refines the wording: amendments, clause signals.
    Amend,
    /// `agree`: the draft is locked while the room checks the whole text.
    Agree,
    /// `frozen`: the agreed text is recorded as a version.
    Frozen,
}

impl Stage {
    /// Every stage, in the method's order.
    pub const ALL: [Stage; 6] = [
        Stage::Collect,
        Stage::CommonGround,
        Stage::Draft,
        Stage::Amend,
        Stage::Agree,
        Stage::Frozen,
    ];

    /// The stage's name, as on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Collect => "collect",
            Stage::CommonGround => "common_ground",
            Stage::Draft => "draft",
            Stage::Amend => "amend",
            Stage::Agree => "agree",
            Stage::Frozen => "frozen",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = UnknownStage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == s)
            .ok_or_else(|| UnknownStage(s.to_owned()))
    }
}

/// A stage name that is none of the six.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStage(pub String);

impl fmt::Display for UnknownStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown stage {:?}: expected collect, common_ground, draft, amend, agree or frozen",
            self.0
        )
    }
}

impl std::error::Error for UnknownStage {}

/// One Yjs document of a meeting, as named in the WebSocket URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoomName {
    /// `draft`: the text being agreed (root `clauses`).
    Draft,
    /// `meeting`: state only the server writes.
    Meeting,
    /// `amendment/{id}`: one proposed wording for one clause (root `text`).
    Amendment(Uuid),
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoomName::Draft => f.write_str("draft"),
            RoomName::Meeting => f.write_str("meeting"),
            RoomName::Amendment(id) => write!(f, "amendment/{id}"),
        }
    }
}

impl FromStr for RoomName {
    type Err = UnknownRoom;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(RoomName::Draft),
            "meeting" => Ok(RoomName::Meeting),
            _ => s
                .strip_prefix("amendment/")
                .and_then(|id| Uuid::parse_str(id).ok())
                .map(RoomName::Amendment)
                .ok_or_else(|| UnknownRoom(s.to_owned())),
        }
    }
}

/// A room name that names no room of a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRoom(pub String);

impl fmt::Display for UnknownRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown room {:?}: expected draft, meeting or amendment/<uuid>",
            self.0
        )
    }
}

impl std::error::Error for UnknownRoom {}

/// `POST /api/meetings`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateMeeting {
    /// What is being drafted, e.g. "Misja Miasta Krakowa".
    pub title: String,
    /// The moderator's display name.
    pub moderator_name: String,
    /// The meeting's language; English if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Whether the meeting runs the whole workshop: it then starts at the
    /// `collect` stage, and a freeze needs a closed consensus check on the
    /// text or a written reason. Without it the meeting starts at `amend`
    /// and freezes as it always has.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub workshop: bool,
}

/// Answer to `POST /api/meetings`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeetingCreated {
    /// The meeting's id, used in every other URL.
    pub id: Uuid,
    /// The moderator's capability token.
    pub moderator_token: String,
    /// Invite that joins as a participant.
    pub participant_invite: String,
    /// Invite that joins as an observer.
    pub observer_invite: String,
    /// The short code that joins as a participant, like the participant
    /// invite: nine characters shown in three groups, `K7Q-FM2-XD9`.
    pub participant_code: String,
}

/// `POST /api/meetings/{id}/join`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Join {
    /// A participant or observer invite of this meeting, or its participant
    /// code.
    pub invite: String,
    /// The display name shown to the room.
    pub name: String,
}

/// `POST /api/meetings/{id}/invitation`: what an invite opens, before
/// joining (the invite in the body, never in a URL).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invitation {
    /// A participant or observer invite of this meeting, or its participant
    /// code.
    pub invite: String,
}

/// `POST /api/codes`: which meeting a participant code opens, before
/// joining it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParticipantCode {
    /// The code as typed: case, dashes and spaces do not matter, and O, I
    /// and L read as 0, 1 and 1.
    pub code: String,
}

/// Answer to `POST /api/codes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeOpens {
    /// The meeting the code joins.
    pub meeting_id: Uuid,
    /// Its title.
    pub title: String,
    /// The role joining with the code gives: always participant.
    pub role: Role,
    /// Whether the draft is frozen now.
    pub frozen: bool,
    /// The meeting's language.
    pub language: Language,
}

/// Answer to `POST /api/meetings/{id}/invitation`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invited {
    /// The meeting's title.
    pub title: String,
    /// The role joining with this invite gives.
    pub role: Role,
    /// Whether the draft is frozen now.
    pub frozen: bool,
    /// The meeting's language.
    pub language: Language,
}

/// Answer to `POST /api/meetings/{id}/join`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Joined {
    /// The new member's capability token.
    pub token: String,
    /// The new member's id within the meeting.
    pub user_id: Uuid,
    /// The role the invite grants.
    pub role: Role,
}

/// `POST /api/meetings/{id}/editors`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrantEditor {
    /// The participant who may now co-edit the draft.
    pub user_id: Uuid,
}

/// `POST /api/meetings/{id}/invites/rotate`: which invites to replace.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RotateInvites {
    /// Replace the participant invite.
    #[serde(default)]
    pub participant: bool,
    /// Replace the observer invite.
    #[serde(default)]
    pub observer: bool,
}

/// Answer to an invite rotation: the new invites (absent ones were kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitesRotated {
    /// The new participant invite, if it was replaced.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub participant_invite: Option<String>,
    /// The new observer invite, if it was replaced.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub observer_invite: Option<String>,
    /// The new participant code, replaced with the participant invite.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub participant_code: Option<String>,
}

/// `POST /api/meetings/{id}/clauses/{clause_id}/move`: where the clause goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveClause {
    /// The clause's index in `clauses` once moved, 0-based.
    pub to: u32,
}

/// Answer to a clause move: the draft's clauses in their new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseOrder {
    /// The clauses' ids, first to last.
    pub clauses: Vec<String>,
}

/// `POST /api/meetings/{id}/amendments/{aid}/accept`: the body is optional
/// (no body, or `{}`, is the same as no `clause_sha256`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptAmendment {
    /// The SHA-256 (hex, of its UTF-8) of the clause's text as the
    /// moderator saw it before accepting: needed when the clause changed
    /// since the amendment was opened, and checked whenever it is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause_sha256: Option<String>,
}

/// The texts of a clause that changed since an amendment of it was opened,
/// carried by a `clause_changed` error beside `code` and `message`, so a
/// client can show them before the moderator confirms the acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseChanged {
    /// The clause's text when the amendment was opened (its base); null
    /// for an amendment stored before bases were kept.
    pub opened: Option<String>,
    /// The clause's text now.
    pub current: String,
    /// The amendment's wording, which accepting would put in its place.
    pub proposed: String,
    /// SHA-256 of `current` (hex, of its UTF-8): the `clause_sha256` that
    /// confirms accepting over it.
    pub current_sha256: String,
}

/// The machine-readable part of an error answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request is malformed or invalid.
    BadRequest,
    /// 401: no token, or a token (or invite) that is not valid here.
    Unauthorized,
    /// 403: the caller's role may not do this.
    Forbidden,
    /// 404: no such meeting, member, room or path.
    NotFound,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 409: the request conflicts with the meeting's state.
    Conflict,
    /// 409: accepting the amendment would overwrite a change to its clause
    /// that the moderator has not confirmed seeing (the error carries the
    /// texts, see [`ClauseChanged`]).
    ClauseChanged,
    /// 409: a signal or answer was given on a wording that has changed
    /// since: it lapsed before it was given.
    WordingChanged,
    /// 409: freezing needs a closed consensus check on the current text
    /// with no blocks, or the moderator's written reason.
    NoConsensus,
    /// 413: the body or message is too large.
    TooLarge,
    /// 429: too many requests or messages.
    TooManyRequests,
    /// 500: the server failed; nothing was changed.
    Internal,
    /// 503: the server cannot take the request now (e.g. storage failing).
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status that goes with this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict
            | ErrorCode::ClauseChanged
            | ErrorCode::WordingChanged
            | ErrorCode::NoConsensus => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }
}

/// An error answer: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// For `clause_changed`: the texts, as fields beside `code`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub clause_changed: Option<ClauseChanged>,
    /// For a `conflict` with the meeting's stage (a command the stage does
    /// not take): the stage the meeting is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
}

/// Why the server refused a write on a WebSocket, as a stable code.
///
/// The server answers a refused write with the protocol's auth message,
/// permission denied, whose reason is `"{code}: {English sentence}"`: the
/// code lets an app say it in the user's language, the sentence serves
/// logs and people reading the wire. Every code but
/// [`RefusalCode::StorageUnavailable`] is final: the refused Yjs client ID
/// stays refused in that room, so the client drops its copy and resyncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// `frozen`: the draft is frozen until the moderator reopens it.
    Frozen,
    /// `role`: the member's role does not write this room.
    Role,
    /// `server_only`: only the server writes this room (`meeting`).
    ServerOnly,
    /// `not_author`: only its author writes an amendment.
    NotAuthor,
    /// `decided`: the amendment was accepted or rejected.
    Decided,
    /// `foreign_client`: the update carries a Yjs client ID bound to
    /// another member.
    ForeignClient,
    /// `refused_client`: the client ID had a change refused earlier in
    /// this room; its later changes build on it.
    RefusedClient,
    /// `missing_dependencies`: the update builds on changes the server
    /// does not have.
    MissingDependencies,
    /// `storage unavailable`: the server cannot store changes now. Not
    /// final and nobody's fault: the client keeps its changes and the
    /// server asks for them again once it can store them. Spelt with a
    /// space, unlike the others, because checks outside this repository
    /// match the reason's `storage unavailable:` prefix, which predates
    /// the codes.
    StorageUnavailable,
    /// `stage`: the draft takes no writes in the meeting's stage (before
    /// the draft stage, or locked while the room checks the whole text).
    Stage,
}

impl RefusalCode {
    /// Every code, for documentation and tests.
    pub const ALL: [RefusalCode; 10] = [
        RefusalCode::Frozen,
        RefusalCode::Role,
        RefusalCode::ServerOnly,
        RefusalCode::NotAuthor,
        RefusalCode::Decided,
        RefusalCode::ForeignClient,
        RefusalCode::RefusedClient,
        RefusalCode::MissingDependencies,
        RefusalCode::StorageUnavailable,
        RefusalCode::Stage,
    ];

    /// The code as it starts a refusal's reason.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::Frozen => "frozen",
            RefusalCode::Role => "role",
            RefusalCode::ServerOnly => "server_only",
            RefusalCode::NotAuthor => "not_author",
            RefusalCode::Decided => "decided",
            RefusalCode::ForeignClient => "foreign_client",
            RefusalCode::RefusedClient => "refused_client",
            RefusalCode::MissingDependencies => "missing_dependencies",
            RefusalCode::StorageUnavailable => "storage unavailable",
            RefusalCode::Stage => "stage",
        }
    }

    /// Whether the refusal is final for the Yjs client that made the
    /// change (everything but storage being unavailable).
    pub fn is_final(self) -> bool {
        self != RefusalCode::StorageUnavailable
    }

    /// The reason sent on the wire: the code, `": "`, the sentence.
    pub fn reason(self, sentence: &str) -> String {
        format!("{}: {sentence}", self.as_str())
    }

    /// The code a refusal's reason starts with, if any; how a Rust client
    /// reads it.
    pub fn of_reason(reason: &str) -> Option<RefusalCode> {
        let (code, _) = reason.split_once(": ")?;
        RefusalCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// WebSocket close codes the server uses.
///
/// The stock `y-websocket` client (3.x) treats a close code in 4400–4499 as
/// final: it stops reconnecting and emits `closed`. Every other code makes
/// it reconnect (with backoff). So only what reconnecting cannot fix, a bad
/// token and an unknown meeting or room, uses that range; everything a
/// client should recover from uses a standard code or one in 4000–4099,
/// numbered 4000 plus the last two digits of the matching HTTP status (4008
/// for 408, 4029 for 429): the retryable twins of 4408 and 4429.
pub mod close {
    /// The message was too big (standard).
    pub const TOO_BIG: u16 = 1009;
    /// The connection broke the protocol (standard): malformed frames.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame: the protocol is binary (standard).
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// The connection broke a rule of the server (standard): more presence
    /// IDs than one connection may have.
    pub const POLICY: u16 = 1008;
    /// The server hit an internal error on this room (standard), e.g. it
    /// could not store a change and the room reloads; reconnect.
    pub const INTERNAL: u16 = 1011;
    /// The server is going away (standard): shutdown or restart; reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// The client fell too far behind the room; reconnect and resync.
    pub const TRY_AGAIN: u16 = 1013;
    /// No token, or a token that is not valid for this meeting. Final.
    pub const UNAUTHORIZED: u16 = 4401;
    /// No such meeting or room. Final.
    pub const NOT_FOUND: u16 = 4404;
    /// Too many messages too fast, or too many failed sign-ins from the
    /// client's address; reconnect (the limit decides again).
    pub const TOO_FAST: u16 = 4029;
    /// The connection was silent past the idle timeout (no pong, no
    /// message) or stopped reading what it was sent; reconnect.
    pub const TIMEOUT: u16 = 4008;

    /// Every code the server closes a WebSocket with.
    pub const ALL: [u16; 11] = [
        TOO_BIG,
        PROTOCOL_ERROR,
        UNSUPPORTED_DATA,
        POLICY,
        INTERNAL,
        GOING_AWAY,
        TRY_AGAIN,
        UNAUTHORIZED,
        NOT_FOUND,
        TOO_FAST,
        TIMEOUT,
    ];

    /// Whether the stock `y-websocket` client gives up for good on this
    /// code (its `defaultShouldReconnect`).
    pub fn is_final(code: u16) -> bool {
        (4400..4500).contains(&code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_round_trip() {
        let id = Uuid::new_v4();
        for room in [RoomName::Draft, RoomName::Meeting, RoomName::Amendment(id)] {
            assert_eq!(room.to_string().parse::<RoomName>(), Ok(room));
        }
        assert!("amendment/not-a-uuid".parse::<RoomName>().is_err());
        assert!("drafts".parse::<RoomName>().is_err());
        assert!("".parse::<RoomName>().is_err());
    }

    #[test]
    fn languages_are_pl_and_en_and_english_by_default() {
        for language in [Language::Pl, Language::En] {
            assert_eq!(language.as_str().parse::<Language>(), Ok(language));
            let json = serde_json::to_string(&language).unwrap();
            assert_eq!(json, format!("\"{language}\""));
        }
        assert!("PL".parse::<Language>().is_err());
        let created: CreateMeeting =
            serde_json::from_str(r#"{"title":"Misja","moderator_name":"Ewa"}"#).unwrap();
        assert_eq!(created.language, None);
        assert_eq!(created.language.unwrap_or_default(), Language::En);
        let polish: CreateMeeting =
            serde_json::from_str(r#"{"title":"Misja","moderator_name":"Ewa","language":"pl"}"#)
                .unwrap();
        assert_eq!(polish.language, Some(Language::Pl));
        assert!(
            serde_json::from_str::<CreateMeeting>(
                r#"{"title":"Misja","moderator_name":"Ewa","language":"de"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn roles_round_trip_and_draft_rights() {
        for role in [
            Role::Moderator,
            Role::Editor,
            Role::Participant,
            Role::Observer,
        ] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{role}\""));
        }
        assert!(Role::Editor.writes_draft());
        assert!(!Role::Participant.writes_draft());
        assert!(!Role::Observer.writes_draft());
    }

    #[test]
    fn refusal_codes_are_distinct_and_read_back_from_their_reasons() {
        let mut seen = std::collections::HashSet::new();
        for code in RefusalCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(!code.as_str().contains(':'), "{code}");
            let reason = code.reason("the sentence: with a colon");
            assert!(reason.starts_with(&format!("{code}: ")), "{reason}");
            assert_eq!(RefusalCode::of_reason(&reason), Some(code));
        }
        assert_eq!(RefusalCode::of_reason("frozen"), None);
        assert_eq!(RefusalCode::of_reason("nonsense: at all"), None);
        assert!(
            RefusalCode::StorageUnavailable
                .reason("x")
                .starts_with("storage unavailable: ")
        );
        let finals = RefusalCode::ALL.iter().filter(|c| c.is_final()).count();
        assert_eq!(finals, RefusalCode::ALL.len() - 1);
    }

    #[test]
    fn only_a_bad_token_and_an_unknown_meeting_or_room_close_for_good() {
        let finals: Vec<u16> = close::ALL
            .into_iter()
            .filter(|c| close::is_final(*c))
            .collect();
        assert_eq!(finals, [close::UNAUTHORIZED, close::NOT_FOUND]);
        for code in [
            close::TIMEOUT,
            close::TOO_FAST,
            close::GOING_AWAY,
            close::INTERNAL,
            close::TRY_AGAIN,
        ] {
            assert!(!close::is_final(code), "{code} must be retried");
        }
        // The stock client's rule, at its edges.
        assert!(close::is_final(4400) && close::is_final(4499));
        assert!(!close::is_final(4399) && !close::is_final(4500));
        let mut codes = close::ALL.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), close::ALL.len());
    }

    #[test]
    fn error_body_shape() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::TooLarge,
                message: "too big".into(),
                clause_changed: None,
                stage: None,
            },
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"]["code"], "too_large");
        assert_eq!(json["error"].as_object().unwrap().len(), 2, "{json}");
        assert_eq!(ErrorCode::TooLarge.status(), 413);
        let back: ErrorBody = serde_json::from_value(json).unwrap();
        assert_eq!(back.error.clause_changed, None);
    }

    #[test]
    fn a_clause_changed_error_carries_its_texts_beside_the_code() {
        let texts = ClauseChanged {
            opened: None,
            current: "Kraków — miasto otwarte 🏰".into(),
            proposed: "Kraków — miasto gościnne".into(),
            current_sha256: "ab".repeat(32),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::ClauseChanged,
                message: "changed".into(),
                clause_changed: Some(texts.clone()),
                stage: None,
            },
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"]["code"], "clause_changed");
        assert_eq!(json["error"]["opened"], serde_json::Value::Null);
        assert_eq!(json["error"]["current"], "Kraków — miasto otwarte 🏰");
        assert_eq!(json["error"]["current_sha256"], "ab".repeat(32));
        assert_eq!(ErrorCode::ClauseChanged.status(), 409);
        let back: ErrorBody = serde_json::from_value(json).unwrap();
        assert_eq!(back.error.clause_changed, Some(texts));
        let accept: AcceptAmendment = serde_json::from_str("{}").unwrap();
        assert_eq!(accept.clause_sha256, None);
    }
}
