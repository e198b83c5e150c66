//! The meeting report, in Markdown and in printable HTML: it reads like the
//! record of a workshop, in the order the meeting ran (who met, the
//! working groups and their proposals, the common ground, the first draft,
//! the amendments and the signals on the clauses, the consensus checks,
//! the agreed wording with its SHA-256 and who wrote it, where each
//! element of the common ground stands in it, the versions).

use serde::Serialize;
use uuid::Uuid;

pub(crate) mod gather;
mod html;
pub(crate) mod markdown;
pub(crate) mod method;
pub(crate) mod words;

pub(crate) use words::AmendmentLine;

/// A member's share of a clause.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthorShare {
    /// The member (None: unbound client).
    pub user_id: Option<Uuid>,
    /// Their name.
    pub name: String,
    /// Characters (Unicode scalar values) of the clause they wrote.
    pub characters: u32,
}

/// A run of characters of one clause written by one member.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Span {
    /// The member (None: a client ID bound to nobody).
    pub user_id: Option<Uuid>,
    /// Their name.
    pub name: String,
    /// Their colour.
    pub colour: String,
    /// Start in UTF-16 code units.
    pub start: u32,
    /// Length in UTF-16 code units.
    pub length: u32,
    /// The characters.
    pub text: String,
}

/// One clause with its authors.
#[derive(Debug, Clone, Serialize)]
pub struct ClauseLine {
    /// Its id.
    pub id: String,
    /// Its text.
    pub text: String,
    /// Who wrote it, most first.
    pub authors: Vec<AuthorShare>,
    /// Who wrote which characters, in order: the text coloured by author.
    pub spans: Vec<Span>,
}

/// One version as listed.
#[derive(Debug, Clone, Serialize)]
pub struct VersionLine {
    /// Its number.
    pub version: u32,
    /// When it was frozen.
    pub created_at: i64,
    /// Who froze it.
    pub frozen_by: Uuid,
    /// Their name.
    pub frozen_by_name: String,
    /// SHA-256 of its text.
    pub sha256: String,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// The meeting's title.
    pub title: String,
    /// When it was created.
    pub created_at: i64,
    /// Members in order of joining: name and role.
    pub members: Vec<(String, &'static str)>,
    /// Whether the draft is frozen now.
    pub frozen: bool,
    /// The latest version: number, time, text (None: nothing frozen yet).
    pub agreed: Option<(u32, i64, String)>,
    /// The clauses reported (of the latest version, else of the draft).
    pub clauses: Vec<ClauseLine>,
    /// The amendments, oldest first.
    pub amendments: Vec<AmendmentLine>,
    /// The versions, oldest first.
    pub versions: Vec<VersionLine>,
    /// The workshop's method: groups, common ground, first draft,
    /// signals, checks.
    pub method: method::MethodPart,
}

impl Report {
    /// The SHA-256 of the agreed text, if one is agreed.
    pub(crate) fn agreed_sha256(&self) -> Option<String> {
        self.agreed
            .as_ref()
            .map(|(_, _, text)| crate::secrets::sha256_hex(text))
    }
}
