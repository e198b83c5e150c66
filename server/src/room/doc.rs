//! The document of one room and the rules for changing it, with no I/O:
//! decide whether an incoming Yjs update is a write at all, whether its
//! author may make it, which Yjs client IDs it binds to that author, and
//! apply it. Persistence and relaying are the caller's business.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use thiserror::Error;

use draftroom_shared::RefusalCode;

use crate::room::draft::{ClauseChange, ListItems, Tracker};
use crate::room::moved::MovedTexts;
use crate::room::ydoc::{self, Garbage};
use uuid::Uuid;
use yrs::updates::decoder::Decode;
use yrs::{ClientID, Doc, IdSet, ReadTxn, StateVector, Transact, Update, WriteTxn};

/// Who sends an update, as the room needs to know them.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    /// The member.
    pub user: Uuid,
    /// Whether they may write this room now (role, room, frozen state).
    pub may_write: Result<(), Denied>,
}

/// Why a member may not write a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Nobody but the server writes this room.
    ServerOnly,
    /// The member's role does not write this room.
    Role,
    /// The draft is frozen.
    Frozen,
    /// The meeting has not reached the draft stage yet.
    NotYet,
    /// The draft is locked while the room checks the whole text.
    Checking,
    /// Only an amendment's author writes it.
    NotAuthor,
    /// The amendment was accepted or rejected.
    Decided,
    /// The server cannot make changes durable now (its storage is failing).
    /// Unlike the others this says nothing against the change: the client
    /// keeps it, and the server asks for it again once it can store it.
    Unavailable,
}

impl Denied {
    /// The stable code a refusal's reason starts with.
    pub fn code(self) -> RefusalCode {
        match self {
            Denied::ServerOnly => RefusalCode::ServerOnly,
            Denied::Role => RefusalCode::Role,
            Denied::Frozen => RefusalCode::Frozen,
            Denied::NotYet | Denied::Checking => RefusalCode::Stage,
            Denied::NotAuthor => RefusalCode::NotAuthor,
            Denied::Decided => RefusalCode::Decided,
            Denied::Unavailable => RefusalCode::StorageUnavailable,
        }
    }

    /// The English sentence after the code.
    fn sentence(self) -> &'static str {
        match self {
            Denied::ServerOnly => "only the server writes this room",
            Denied::Role => "your role may not write this room",
            Denied::Frozen => {
                "the draft is frozen: it takes no changes until the moderator reopens it"
            }
            Denied::NotYet => "the draft opens in the draft stage: the groups' elements come first",
            Denied::Checking => "the draft is locked while the room checks the whole text",
            Denied::NotAuthor => "only its author writes this amendment",
            Denied::Decided => "this amendment has been decided and no longer changes",
            Denied::Unavailable => {
                "the server cannot save changes right now; they stay on this device and are sent again when it can"
            }
        }
    }
}

/// `code: sentence`, as the permission-denied reason says it.
impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.sentence())
    }
}

impl std::error::Error for Denied {}

/// Why an update was refused. Everything but [`Refusal::Malformed`] and
/// [`Refusal::Gap`] is answered with the protocol's permission-denied
/// message, whose reason is this error's text: its code (see
/// [`Refusal::code`]), `": "`, and an English sentence.
#[derive(Debug, Error)]
pub enum Refusal {
    /// The author may not write here.
    #[error("{0}")]
    Denied(Denied),
    /// The update carries items of a client ID bound to another member.
    #[error("{code}: client id {client} belongs to another member of this meeting", code = RefusalCode::ForeignClient)]
    ForeignClient {
        /// The client ID.
        client: u64,
    },
    /// The client ID had an update refused before; its later items depend
    /// on what was refused and can never be integrated.
    #[error("{code}: client id {client} had a change refused earlier in this room; reload to continue", code = RefusalCode::RefusedClient)]
    RefusedClient {
        /// The client ID.
        client: u64,
    },
    /// The update builds on changes the server does not have.
    #[error("{code}: this change builds on changes the server does not have; reload to continue", code = RefusalCode::MissingDependencies)]
    MissingDependencies,
    /// The update continues a client's edits from past where the server has
    /// them: its earlier edits have not arrived yet. A reconnecting client
    /// does this when it sends what it types before its sync step 2 (which
    /// carries its offline edits), so the sender holds it back and retries.
    #[error("this change follows changes of client id {client} that have not arrived yet")]
    Gap {
        /// The client whose earlier edits are missing.
        client: u64,
    },
    /// The bytes are not a Yjs update.
    #[error("malformed update: {0}")]
    Malformed(String),
}

impl Refusal {
    /// The code of a refusal answered with permission denied; none for a
    /// gap (held back, not answered) or malformed bytes (the connection
    /// closes).
    pub fn code(&self) -> Option<RefusalCode> {
        match self {
            Refusal::Denied(d) => Some(d.code()),
            Refusal::ForeignClient { .. } => Some(RefusalCode::ForeignClient),
            Refusal::RefusedClient { .. } => Some(RefusalCode::RefusedClient),
            Refusal::MissingDependencies => Some(RefusalCode::MissingDependencies),
            Refusal::Gap { .. } | Refusal::Malformed(_) => None,
        }
    }
}

/// The result of an accepted update.
#[derive(Debug)]
pub struct Applied {
    /// The update as integrated (v1 encoding), to persist and relay.
    pub update: Vec<u8>,
    /// Its sequence number in the room's log.
    pub seq: u64,
    /// Client IDs that this update binds to its author.
    pub new_bindings: Vec<u64>,
    /// What it did to which clause, for the attribution journal.
    pub changes: Vec<ClauseChange>,
}

/// What kind of document a room holds, for what the server tracks in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The draft: changes are tracked per clause.
    Draft,
    /// An amendment: changes to its text are tracked.
    Amendment,
    /// Server-written state: nothing tracked.
    Meeting,
}

/// What became of an update.
#[derive(Debug)]
pub enum Outcome {
    /// It changes nothing the room does not have already (e.g. the sync step
    /// 2 of a read-only client). Not an error, nothing to relay.
    Noop,
    /// It was applied.
    Applied(Applied),
    /// Part of it was applied, the rest depended on things the server does
    /// not have and was dropped; the sender must be told.
    Partial(Applied, Refusal),
}

/// The document of a room of `kind`. The `meeting` room, unlike the
/// others, collects garbage: its past states are never rebuilt (versions
/// and attribution read the draft's), and without collection every value
/// the server overwrites there (the audience's count, up to once a second
/// for the length of a meeting) would stay in it for good, in what every
/// client downloads when it joins.
fn doc_for(kind: Kind) -> Doc {
    match kind {
        Kind::Meeting => ydoc::build(None, Garbage::Collected),
        Kind::Draft | Kind::Amendment => ydoc::new_doc(),
    }
}

/// The document of one room with the bookkeeping its rules need.
pub struct RoomDoc {
    doc: Doc,
    /// Sequence number of the last update applied (persisted as its log key).
    seq: u64,
    /// Every deleted item ID, to tell a re-sent deletion from a new one.
    deleted: IdSet,
    /// Client IDs whose items this room refused; see [`Refusal::RefusedClient`].
    refused: HashSet<u64>,
    /// Updates applied since the last snapshot.
    since_snapshot: usize,
    /// Watches what each transaction changes, for the journal.
    tracker: Option<Tracker>,
    /// The whole state as of a sequence number, for new clients.
    full_state: Option<(u64, Arc<[u8]>)>,
    /// In the draft, the items in the list of clauses (see [`ListItems`]).
    list: Option<ListItems>,
    /// In the draft, where the words of moved clauses went.
    moved: MovedTexts,
}

impl RoomDoc {
    /// Rebuilds a room from its stored snapshot and log.
    pub fn load(
        kind: Kind,
        snapshot: Option<(u64, Vec<u8>)>,
        updates: Vec<(u64, Vec<u8>)>,
        refused: impl IntoIterator<Item = u64>,
    ) -> Result<RoomDoc, Refusal> {
        let doc = doc_for(kind);
        let mut seq = 0;
        let since_snapshot = updates.len();
        {
            let mut txn = doc.transact_mut();
            for (s, bytes) in snapshot.into_iter().chain(updates) {
                let update =
                    Update::decode_v1(&bytes).map_err(|e| Refusal::Malformed(e.to_string()))?;
                txn.apply_update(update)
                    .map_err(|e| Refusal::Malformed(e.to_string()))?;
                seq = s;
            }
        }
        let deleted = doc.transact().snapshot().delete_set;
        let list = (kind == Kind::Draft).then(|| ListItems::scan(&doc));
        let tracker = match kind {
            Kind::Draft => Some(Tracker::draft(&doc)),
            Kind::Amendment => Some(Tracker::amendment(&doc)),
            Kind::Meeting => None,
        };
        Ok(RoomDoc {
            doc,
            seq,
            deleted,
            refused: refused.into_iter().collect(),
            since_snapshot,
            tracker,
            full_state: None,
            list,
            moved: MovedTexts::default(),
        })
    }

    /// An empty room.
    pub fn empty(kind: Kind) -> RoomDoc {
        RoomDoc::load(kind, None, Vec::new(), []).expect("empty room")
    }

    fn take_changes(&mut self) -> Vec<ClauseChange> {
        match &mut self.tracker {
            Some(t) => t.take(&self.doc),
            None => Vec::new(),
        }
    }

    /// The Yjs document.
    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// Where the words of moved clauses went.
    pub fn moved(&self) -> &MovedTexts {
        &self.moved
    }

    /// Where the words of moved clauses went, to add to.
    pub fn moved_mut(&mut self) -> &mut MovedTexts {
        &mut self.moved
    }

    /// Adds what the store remembers of moved clauses (JSON records of
    /// `crate::room::moved::MoveRecord`) to a room just loaded.
    pub fn remember_moves(&mut self, records: &[String]) {
        for data in records {
            match serde_json::from_str::<crate::room::moved::MoveRecord>(data) {
                Ok(record) => self.moved.add(&record),
                Err(e) => tracing::error!(error = %e, "a stored clause move does not parse"),
            }
        }
    }

    /// Sequence number of the last applied update.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Updates applied since the last snapshot was taken.
    pub fn since_snapshot(&self) -> usize {
        self.since_snapshot
    }

    /// The whole state as one update, for a snapshot; resets the counter.
    pub fn take_snapshot(&mut self) -> (u64, Vec<u8>) {
        self.since_snapshot = 0;
        let state = self
            .doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        (self.seq, state)
    }

    /// The state vector, for sync step 1.
    pub fn state_vector(&self) -> StateVector {
        self.doc.transact().state_vector()
    }

    /// What a peer with state vector `sv` is missing, for sync step 2. The
    /// whole state (what a new client asks for) is encoded once per change
    /// of the room, however many join: a join storm costs copies, not
    /// encodings.
    pub fn diff(&mut self, sv: &StateVector) -> Vec<u8> {
        if !sv.is_empty() {
            return self.doc.transact().encode_state_as_update_v1(sv);
        }
        match &self.full_state {
            Some((seq, state)) if *seq == self.seq => state.to_vec(),
            _ => {
                let state: Arc<[u8]> = self.doc.transact().encode_state_as_update_v1(sv).into();
                self.full_state = Some((self.seq, state.clone()));
                state.to_vec()
            }
        }
    }

    /// Client IDs with items in `update` that the room does not have yet.
    fn new_clients(&self, update: &Update) -> Vec<(u64, u32)> {
        let have = self.doc.transact().state_vector();
        let mut out = Vec::new();
        for (client, ranges) in update.insertions(true).iter() {
            let Some(end) = ranges.iter().map(|r| r.end).max() else {
                continue;
            };
            if end > have.get(client) {
                let start = ranges.iter().map(|r| r.start).min().unwrap_or(0);
                out.push((client.get(), start));
            }
        }
        out
    }

    /// Whether `update` deletes anything not already deleted here.
    fn deletes_anything_new(&self, update: &Update) -> bool {
        update
            .delete_set()
            .diff(&self.deleted)
            .iter()
            .any(|(_, ranges)| !ranges.is_empty())
    }

    /// Marks client IDs as refused in this room; returns the ones newly so.
    pub fn refuse_clients(&mut self, clients: impl IntoIterator<Item = u64>) -> Vec<u64> {
        clients
            .into_iter()
            .filter(|c| self.refused.insert(*c))
            .collect()
    }

    /// Decides on and, if allowed, applies an update from `author`.
    /// `bindings` maps client IDs to members meeting-wide.
    ///
    /// On refusal the client IDs to refuse from now on are returned
    /// alongside, for the caller to record: those that would have created
    /// items, except where the refusal blames nobody's ID (another member's
    /// client ID, malformed bytes, a gap that may yet fill, storage failing).
    pub fn apply(
        &mut self,
        bytes: &[u8],
        author: &Author,
        bindings: &HashMap<u64, Uuid>,
    ) -> Result<Outcome, (Refusal, Vec<u64>)> {
        // Checked first: the library trusts the counts and nesting the
        // bytes declare (see `wire`).
        let blocks = crate::room::wire::blocks_v1(bytes)
            .map_err(|why| (Refusal::Malformed(why), Vec::new()))?;
        let update = Update::decode_v1(bytes)
            .map_err(|e| (Refusal::Malformed(e.to_string()), Vec::new()))?;
        let new_clients = self.new_clients(&update);
        let creating: Vec<u64> = new_clients.iter().map(|(c, _)| *c).collect();
        if creating.is_empty() && !self.deletes_anything_new(&update) {
            return Ok(Outcome::Noop);
        }
        if let Err(denied) = author.may_write {
            // Storage failing blames nobody: the client will resend.
            let taint = if denied == Denied::Unavailable {
                Vec::new()
            } else {
                creating
            };
            return Err((Refusal::Denied(denied), taint));
        }
        let have = self.doc.transact().state_vector();
        let mut new_bindings = Vec::new();
        for &(client, start) in &new_clients {
            if self.refused.contains(&client) {
                return Err((Refusal::RefusedClient { client }, creating));
            }
            match bindings.get(&client) {
                Some(owner) if *owner != author.user => {
                    return Err((Refusal::ForeignClient { client }, Vec::new()));
                }
                Some(_) => {}
                None => new_bindings.push(client),
            }
            // Yjs clocks of one client are contiguous: a gap means earlier
            // items of that client have not arrived (yet, or ever: a refused
            // client is caught above).
            if start > have.get(&ClientID::new(client)) {
                return Err((Refusal::Gap { client }, Vec::new()));
            }
        }
        if let Some(list) = &mut self.list {
            list.admit(&blocks, true)
                .map_err(|why| (Refusal::Malformed(why), Vec::new()))?;
        }
        let (encoded, leftover) = {
            let mut txn = self.doc.transact_mut();
            txn.apply_update(update)
                .map_err(|e| (Refusal::Malformed(e.to_string()), Vec::new()))?;
            let leftover = txn.prune_pending();
            let encoded = txn.encode_update_v1();
            self.deleted.merge_with(txn.delete_set().clone());
            (encoded, leftover)
        };
        let integrated = self.doc.transact().state_vector();
        new_bindings.retain(|&c| {
            let c = ClientID::new(c);
            integrated.get(&c) > have.get(&c)
        });
        let nothing_integrated = integrated == have && leftover.is_some() && {
            // Deletions alone still count as integrated work.
            Update::decode_v1(&encoded).is_ok_and(|u| u.delete_set().is_empty())
        };
        if nothing_integrated {
            return Err((Refusal::MissingDependencies, creating));
        }
        self.seq += 1;
        self.since_snapshot += 1;
        let applied = Applied {
            update: encoded,
            seq: self.seq,
            new_bindings,
            changes: self.take_changes(),
        };
        Ok(match leftover {
            None => Outcome::Applied(applied),
            Some(_) => Outcome::Partial(applied, Refusal::MissingDependencies),
        })
    }

    /// Applies update `seq` as its owner stored it, in a read-only copy of
    /// the room on another process (the owner checked it already).
    pub fn apply_relayed(&mut self, seq: u64, update: &[u8]) -> Result<(), Refusal> {
        let decoded = Update::decode_v1(update).map_err(|e| Refusal::Malformed(e.to_string()))?;
        {
            let mut txn = self.doc.transact_mut();
            txn.apply_update(decoded)
                .map_err(|e| Refusal::Malformed(e.to_string()))?;
            self.deleted.merge_with(txn.delete_set().clone());
        }
        let _ = self.take_changes();
        self.seq = seq;
        self.since_snapshot += 1;
        Ok(())
    }

    /// Applies a change the server itself makes (it never needs checking).
    pub fn server_write(
        &mut self,
        f: impl FnOnce(&mut yrs::TransactionMut<'_>),
    ) -> Option<Applied> {
        let encoded = {
            let mut txn = self.doc.transact_mut();
            f(&mut txn);
            if txn.before_state() == txn.after_state() && txn.delete_set().is_empty() {
                return None;
            }
            self.deleted.merge_with(txn.delete_set().clone());
            txn.encode_update_v1()
        };
        self.seq += 1;
        self.since_snapshot += 1;
        Some(Applied {
            update: encoded,
            seq: self.seq,
            new_bindings: Vec::new(),
            changes: self.take_changes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Array, ArrayPrelim, GetString, MapPrelim, Text, TextPrelim, TextRef};

    fn writer(user: Uuid) -> Author {
        Author {
            user,
            may_write: Ok(()),
        }
    }

    fn client_doc(id: u64) -> Doc {
        ydoc::build(Some(id), Garbage::Collected)
    }

    /// Adds a clause to `doc` and returns the update it made.
    fn add_clause(doc: &Doc, text: &str) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        let clauses = txn.get_or_insert_array("clauses");
        let len = clauses.len(&txn);
        clauses.insert(
            &mut txn,
            len,
            MapPrelim::from([
                ("id".to_owned(), yrs::In::from("c1")),
                ("text".to_owned(), yrs::In::from(TextPrelim::new(text))),
            ]),
        );
        let _ = ArrayPrelim::default();
        txn.encode_update_v1()
    }

    fn first_text(doc: &Doc) -> (TextRef, String) {
        let txn = doc.transact();
        let clauses = txn.get_array("clauses").unwrap();
        let map: yrs::MapRef = clauses.get(&txn, 0).unwrap().cast().unwrap();
        let text: TextRef = yrs::Map::get(&map, &txn, "text").unwrap().cast().unwrap();
        let s = text.get_string(&txn);
        (text, s)
    }

    #[test]
    fn writer_update_is_applied_and_binds_its_client() {
        let mut room = RoomDoc::empty(Kind::Draft);
        let user = Uuid::new_v4();
        let doc = client_doc(7);
        let bytes = add_clause(&doc, "Kraków 🏛️");
        let out = room.apply(&bytes, &writer(user), &HashMap::new()).unwrap();
        let Outcome::Applied(a) = out else {
            panic!("expected applied, got {out:?}")
        };
        assert_eq!(a.seq, 1);
        assert_eq!(a.new_bindings, vec![7]);
        assert_eq!(first_text(room.doc()).1, "Kraków 🏛️");
        // The same bytes again are a no-op, not a write.
        assert!(matches!(
            room.apply(&bytes, &writer(user), &HashMap::new()),
            Ok(Outcome::Noop)
        ));
    }

    #[test]
    fn read_only_author_is_refused_but_resync_is_noop() {
        let mut room = RoomDoc::empty(Kind::Draft);
        let moderator = Uuid::new_v4();
        let doc = client_doc(1);
        let bytes = add_clause(&doc, "misja");
        room.apply(&bytes, &writer(moderator), &HashMap::new())
            .unwrap();
        let observer = Author {
            user: Uuid::new_v4(),
            may_write: Err(Denied::Role),
        };
        // A follower's full state (what a reconnect's sync step 2 carries)
        // changes nothing: allowed.
        let follower = client_doc(2);
        follower
            .transact_mut()
            .apply_update(Update::decode_v1(&room.diff(&StateVector::default())).unwrap())
            .unwrap();
        let resync = follower
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(matches!(
            room.apply(&resync, &observer, &HashMap::new()),
            Ok(Outcome::Noop)
        ));
        // A real edit is refused, and names the client to taint.
        let (text, _) = first_text(&follower);
        let edit = {
            let mut txn = follower.transact_mut();
            text.insert(&mut txn, 0, "nie ");
            txn.encode_update_v1()
        };
        let (refusal, taint) = room.apply(&edit, &observer, &HashMap::new()).unwrap_err();
        assert!(matches!(refusal, Refusal::Denied(Denied::Role)));
        assert_eq!(
            refusal.to_string(),
            "role: your role may not write this room"
        );
        assert_eq!(taint, vec![2]);
        // A deletion alone is a write too.
        let del = {
            let mut txn = follower.transact_mut();
            text.remove_range(&mut txn, 0, 2);
            txn.encode_update_v1()
        };
        let (refusal, taint) = room.apply(&del, &observer, &HashMap::new()).unwrap_err();
        assert!(
            matches!(refusal, Refusal::Denied(Denied::Role)),
            "{refusal:?}"
        );
        assert_eq!(
            refusal.to_string(),
            "role: your role may not write this room"
        );
        // It creates no item, so it names no client to taint.
        assert_eq!(taint, Vec::<u64>::new());
        assert_eq!(first_text(room.doc()).1, "misja");
    }

    #[test]
    fn foreign_and_refused_clients_are_refused() {
        let mut room = RoomDoc::empty(Kind::Draft);
        let alice = Uuid::new_v4();
        let mallory = Uuid::new_v4();
        let bindings = HashMap::from([(5u64, alice)]);
        let forged = client_doc(5);
        let bytes = add_clause(&forged, "podrobione");
        let (refusal, taint) = room.apply(&bytes, &writer(mallory), &bindings).unwrap_err();
        assert!(matches!(refusal, Refusal::ForeignClient { client: 5 }));
        assert!(taint.is_empty(), "the real owner must not be locked out");

        room.refuse_clients([9]);
        let tainted = client_doc(9);
        let bytes = add_clause(&tainted, "x");
        let (refusal, _) = room.apply(&bytes, &writer(mallory), &bindings).unwrap_err();
        assert!(matches!(refusal, Refusal::RefusedClient { client: 9 }));
        assert_eq!(room.seq(), 0);
    }

    #[test]
    fn updates_with_a_gap_wait_outside_the_doc_and_apply_in_order() {
        let mut room = RoomDoc::empty(Kind::Draft);
        let user = Uuid::new_v4();
        let doc = client_doc(3);
        let first = add_clause(&doc, "pierwsza");
        let second = add_clause(&doc, "druga");
        let (refusal, taint) = room
            .apply(&second, &writer(user), &HashMap::new())
            .unwrap_err();
        assert!(matches!(refusal, Refusal::Gap { client: 3 }));
        assert!(taint.is_empty(), "a gap is no reason to refuse the client");
        assert!(!room.doc().transact().has_missing_updates());
        assert_eq!(room.seq(), 0);
        for bytes in [first, second] {
            assert!(matches!(
                room.apply(&bytes, &writer(user), &HashMap::new()),
                Ok(Outcome::Applied(_))
            ));
        }
        let txn = room.doc().transact();
        assert_eq!(txn.get_array("clauses").unwrap().len(&txn), 2);
    }

    #[test]
    fn snapshot_and_log_rebuild_the_same_text() {
        let mut room = RoomDoc::empty(Kind::Draft);
        let user = Uuid::new_v4();
        let doc = client_doc(11);
        let mut log = Vec::new();
        let b = add_clause(&doc, "Wspólnota");
        if let Outcome::Applied(a) = room.apply(&b, &writer(user), &HashMap::new()).unwrap() {
            log.push((a.seq, a.update));
        }
        let snapshot = room.take_snapshot();
        let (text, _) = first_text(&doc);
        let edit = {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 9, " 🤝 żółć");
            txn.encode_update_v1()
        };
        let mut after = Vec::new();
        if let Outcome::Applied(a) = room.apply(&edit, &writer(user), &HashMap::new()).unwrap() {
            after.push((a.seq, a.update));
        }
        let reloaded = RoomDoc::load(Kind::Draft, Some(snapshot), after, [4]).unwrap();
        assert_eq!(first_text(reloaded.doc()).1, "Wspólnota 🤝 żółć");
        assert_eq!(reloaded.seq(), 2);
        assert!(reloaded.refused.contains(&4));
    }

    /// An update with one string item of client `client`, placed right
    /// after the item `origin`.
    fn text_after(client: u64, origin: (u64, u64), text: &str) -> Vec<u8> {
        use crate::room::bytes::write_var as var;
        let mut b = Vec::new();
        for n in [1, 1, client, 0] {
            var(n, &mut b);
        }
        b.push(0x84); // a left origin, string content
        var(origin.0, &mut b);
        var(origin.1, &mut b);
        var(text.len() as u64, &mut b);
        b.extend_from_slice(text.as_bytes());
        var(0, &mut b);
        b
    }

    /// Every refusal answered with permission denied has a reason that
    /// starts with its code and `": "`, every code has a refusal, and the
    /// storage refusal reads exactly as it did before the codes.
    #[test]
    fn every_refusal_reason_starts_with_its_code() {
        let refusals = [
            Refusal::Denied(Denied::ServerOnly),
            Refusal::Denied(Denied::Role),
            Refusal::Denied(Denied::Frozen),
            Refusal::Denied(Denied::NotYet),
            Refusal::Denied(Denied::Checking),
            Refusal::Denied(Denied::NotAuthor),
            Refusal::Denied(Denied::Decided),
            Refusal::Denied(Denied::Unavailable),
            Refusal::ForeignClient { client: 7 },
            Refusal::RefusedClient { client: 7 },
            Refusal::MissingDependencies,
        ];
        let mut codes = HashSet::new();
        for refusal in &refusals {
            let code = refusal.code().expect("answered with a code");
            let reason = refusal.to_string();
            assert!(
                reason.starts_with(&format!("{code}: ")),
                "{reason:?} does not start with {code:?}"
            );
            assert_eq!(RefusalCode::of_reason(&reason), Some(code));
            assert!(reason.len() > code.as_str().len() + 10, "{reason:?}");
            codes.insert(code);
        }
        assert_eq!(
            codes.len(),
            RefusalCode::ALL.len(),
            "a code no refusal uses"
        );
        assert_eq!(
            Refusal::Denied(Denied::Unavailable).to_string(),
            "storage unavailable: the server cannot save changes right now; \
             they stay on this device and are sent again when it can"
        );
        assert_eq!(
            Refusal::Denied(Denied::Frozen).to_string(),
            "frozen: the draft is frozen: it takes no changes until the moderator reopens it"
        );
        assert!(Refusal::Gap { client: 1 }.code().is_none());
        assert!(Refusal::Malformed("x".into()).code().is_none());
    }

    #[test]
    fn text_put_into_the_list_of_clauses_is_refused() {
        let mut room = RoomDoc::empty(Kind::Draft);
        let user = Uuid::from_u128(1);
        let moderator = client_doc(11);
        let bindings = HashMap::new();
        room.apply(&add_clause(&moderator, "Misja"), &writer(user), &bindings)
            .expect("a clause");
        // The clause map is the moderator's item 0. An emoji string next to
        // it would sit in the list itself, where reading it never ends.
        let hostile = text_after(22, (11, 0), "a🙂b");
        let hostile_why = "text put directly into the list of clauses (item 22:0)";
        let (refusal, taint) = room.apply(&hostile, &writer(user), &bindings).unwrap_err();
        assert!(
            matches!(&refusal, Refusal::Malformed(why) if why == hostile_why),
            "{refusal:?}"
        );
        assert_eq!(
            refusal.to_string(),
            format!("malformed update: {hostile_why}")
        );
        assert_eq!(
            taint,
            Vec::<u64>::new(),
            "malformed bytes blame nobody's ID"
        );
        // The same string first in a root called `clauses`.
        let root = {
            let doc = client_doc(33);
            let text = doc.get_or_insert_text("clauses");
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, "🙂");
            txn.encode_update_v1()
        };
        let (refusal, taint) = room.apply(&root, &writer(user), &bindings).unwrap_err();
        assert!(
            matches!(&refusal, Refusal::Malformed(why)
                if why == "text put directly into the list of clauses (item 33:0)"),
            "{refusal:?}"
        );
        assert_eq!(taint, Vec::<u64>::new());
        // Typing in the clause's text, emoji and all, goes on.
        let (text, _) = first_text(&moderator);
        let typing = {
            let mut txn = moderator.transact_mut();
            text.insert(&mut txn, 5, " 🙂");
            txn.encode_update_v1()
        };
        assert!(matches!(
            room.apply(&typing, &writer(user), &bindings),
            Ok(Outcome::Applied(_))
        ));
        assert_eq!(crate::room::draft::draft_text(room.doc()), "Misja 🙂");
        // And a room loaded from such a state knows its list again.
        let state = room
            .doc()
            .transact()
            .encode_state_as_update_v1(&Default::default());
        let mut loaded = RoomDoc::load(Kind::Draft, Some((1, state)), Vec::new(), []).unwrap();
        let (refusal, taint) = loaded
            .apply(&hostile, &writer(user), &bindings)
            .unwrap_err();
        assert!(
            matches!(&refusal, Refusal::Malformed(why) if why == hostile_why),
            "{refusal:?}"
        );
        assert_eq!(taint, Vec::<u64>::new());
    }
}
