//! What the server knows of a meeting besides its documents: members,
//! amendments, frozen versions, the invites' hashes, and which Yjs client
//! is whose.

use std::collections::HashMap;

use draftroom_shared::{Language, Role, Stage};
use uuid::Uuid;

use rand::Rng;

use crate::room::RoomDoc;
use crate::secrets::SecretHash;
use crate::store::{AmendmentRecord, LoadedMeeting, UserRecord, VersionRecord};

/// The member a character is credited to when its client ID is bound to
/// nobody. The copy of such a character is written by a client ID bound to
/// this id, which names no member, so it stays "unknown" (see
/// `records::spans`) and no client can claim its ID by writing with it
/// first.
pub const NOBODY: Uuid = Uuid::nil();

/// Display colours handed to members in turn, distinct on a projector.
const PALETTE: [&str; 12] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#bcbd22", "#7f7f7f", "#393b79", "#637939",
];

/// One member of a meeting.
#[derive(Debug, Clone)]
pub struct Member {
    /// Their id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Current role (an editor grant changes it live).
    pub role: Role,
    /// Display colour.
    pub colour: String,
    /// When they joined, ms since the epoch.
    pub joined_at: i64,
}

/// What the server knows of a meeting besides its documents.
pub struct MeetingState {
    /// Title of the text being agreed.
    pub title: String,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// The language the meeting's record is written in.
    pub language: Language,
    /// Hash of the participant invite.
    pub participant_invite: SecretHash,
    /// Hash of the observer invite.
    pub observer_invite: SecretHash,
    /// Hash of the participant code (see `crate::secrets::join_code`); None for a
    /// meeting from before codes until its participant invite is replaced.
    pub participant_code: Option<SecretHash>,
    /// Members by id.
    pub members: HashMap<Uuid, Member>,
    /// Member ids by token hash.
    pub by_token: HashMap<SecretHash, Uuid>,
    /// Yjs client ID → member, meeting-wide; never rebound.
    pub bindings: HashMap<u64, Uuid>,
    /// Where the meeting stands in the workshop's method.
    pub stage: Stage,
    /// Whether it runs the whole workshop (a freeze then needs consensus
    /// or a written reason).
    pub workshop: bool,
    /// Amendments, oldest first.
    pub amendments: Vec<Amendment>,
    /// Frozen versions, oldest first (number = index + 1).
    pub versions: Vec<Version>,
}

/// Where an amendment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Its author may still change it; it can be supported and decided.
    Open,
    /// The moderator applied it to its clause.
    Accepted,
    /// The moderator turned it down.
    Rejected,
}

impl Status {
    /// The name used on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Status {
        match s {
            "accepted" => Status::Accepted,
            "rejected" => Status::Rejected,
            _ => Status::Open,
        }
    }
}

/// A proposed wording for one clause.
#[derive(Debug, Clone)]
pub struct Amendment {
    /// Its id, also its room's name.
    pub id: Uuid,
    /// The clause it is for.
    pub clause_id: String,
    /// Who proposed it: the only one who writes its room.
    pub author: Uuid,
    /// Where it stands.
    pub status: Status,
    /// Members who support it, in order.
    pub supporters: Vec<Uuid>,
    /// When it was opened, ms since the epoch.
    pub created_at: i64,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// Who decided it.
    pub decided_by: Option<Uuid>,
    /// Its text when decided ("" while open: the room holds it).
    pub text: String,
    /// The clause's text when the amendment was opened, so an acceptance
    /// can tell whether the clause changed since; None for an amendment
    /// stored before bases were kept.
    pub base: Option<String>,
}

/// A frozen version, as kept in memory (its Yjs state stays in the store).
#[derive(Debug, Clone)]
pub struct Version {
    /// 1, 2, …
    pub number: u32,
    /// When it was frozen, ms since the epoch.
    pub created_at: i64,
    /// Who froze it.
    pub frozen_by: Uuid,
    /// SHA-256 of the text, hex.
    pub sha256: String,
    /// The agreed text.
    pub text: String,
    /// Why it was frozen without a closed check, or over blocks.
    pub reason: Option<String>,
}

impl MeetingState {
    /// Whether the draft is frozen.
    pub fn frozen(&self) -> bool {
        self.stage == Stage::Frozen
    }

    /// The amendment with this id.
    pub fn amendment(&self, id: Uuid) -> Option<&Amendment> {
        self.amendments.iter().find(|a| a.id == id)
    }

    /// The amendment with this id, to change.
    pub fn amendment_mut(&mut self, id: Uuid) -> Option<&mut Amendment> {
        self.amendments.iter_mut().find(|a| a.id == id)
    }

    /// A member's display name ("" if unknown).
    pub fn name_of(&self, user: Uuid) -> String {
        self.members
            .get(&user)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    }
}

impl MeetingState {
    /// A client ID for the server to write with on a member's behalf:
    /// unused in the meeting and in `room`, and in the range every Yjs
    /// client reads.
    pub fn fresh_client(&self, room: &RoomDoc) -> u64 {
        let sv = room.state_vector();
        loop {
            let id = u64::from(rand::rng().random_range(1..=u32::MAX));
            if !self.bindings.contains_key(&id) && sv.get(&yrs::ClientID::new(id)) == 0 {
                return id;
            }
        }
    }

    /// The next display colour. Observers are not shown (and need none), so
    /// they do not count: the people in the room get distinct colours
    /// however large the audience.
    pub fn next_colour(&self) -> String {
        let shown = self
            .members
            .values()
            .filter(|m| m.role != Role::Observer)
            .count();
        palette_colour(shown)
    }
}

/// The `n`th display colour.
pub fn palette_colour(n: usize) -> String {
    PALETTE[n % PALETTE.len()].to_owned()
}

/// A stored hash as kept in memory (None if it is not one).
pub(crate) fn stored_hash(stored: &[u8]) -> Option<SecretHash> {
    stored.try_into().ok()
}

impl Member {
    /// A member as stored; a role this server does not know reads as the
    /// least.
    pub fn stored(u: UserRecord) -> Member {
        Member {
            id: u.id,
            name: u.name,
            role: u.role.parse::<Role>().unwrap_or(Role::Observer),
            colour: u.colour,
            joined_at: u.joined_at,
        }
    }
}

impl MeetingState {
    /// The state of a meeting as stored, without its amendments and
    /// versions (read apart). A role or language tag this server does not
    /// know (written by a later one) reads as the least or the default
    /// rather than losing the meeting.
    pub fn stored(loaded: LoadedMeeting, frozen: bool) -> MeetingState {
        let mut members = HashMap::new();
        let mut by_token = HashMap::new();
        for u in loaded.users {
            by_token.insert(stored_hash(&u.token_hash).unwrap_or([0; 32]), u.id);
            members.insert(u.id, Member::stored(u));
        }
        let m = loaded.meeting;
        MeetingState {
            title: m.title,
            created_at: m.created_at,
            language: m.language.parse().unwrap_or_default(),
            participant_invite: stored_hash(&m.participant_invite_hash).unwrap_or([0; 32]),
            observer_invite: stored_hash(&m.observer_invite_hash).unwrap_or([0; 32]),
            participant_code: loaded
                .participant_code_hash
                .as_deref()
                .and_then(stored_hash),
            members,
            by_token,
            bindings: loaded.bindings.into_iter().collect(),
            stage: m
                .stage
                .as_deref()
                .and_then(|s| s.parse().ok())
                .unwrap_or(if frozen { Stage::Frozen } else { Stage::Amend }),
            workshop: m.workshop,
            amendments: Vec::new(),
            versions: Vec::new(),
        }
    }
}

impl From<AmendmentRecord> for Amendment {
    fn from(a: AmendmentRecord) -> Amendment {
        Amendment {
            id: a.id,
            clause_id: a.clause_id,
            author: a.author_id,
            status: Status::parse(&a.status),
            supporters: a.supporters,
            created_at: a.created_at,
            decided_at: a.decided_at,
            decided_by: a.decided_by,
            text: a.final_text.unwrap_or_default(),
            base: a.base_text,
        }
    }
}

impl From<VersionRecord> for Version {
    fn from(v: VersionRecord) -> Version {
        Version {
            number: v.number,
            created_at: v.created_at,
            frozen_by: v.frozen_by,
            sha256: v.sha256,
            text: v.text,
            reason: v.reason,
        }
    }
}
