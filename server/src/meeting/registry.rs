//! The registry of meetings and the commands that change who is in them:
//! create a meeting, join it with an invite, grant editing, rotate invites.
//! Each command is durable in the store before it answers, and shows its
//! effect in the meeting's server-written `meeting` room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use draftroom_shared::{
    CodeOpens, Invited, InvitesRotated, Joined, Language, MeetingCreated, Role, RotateInvites,
};
use uuid::Uuid;

use crate::clock::now_ms;
use crate::http::error::AppError;
use crate::meeting::shown;
use crate::meeting::{Amendment, Meeting, MeetingState, Member, RoomSizes, Status, Version};
use crate::room::Kind;
use crate::room::RoomDoc;
use crate::secrets;
use crate::secrets::join_code;
use crate::store::{self, MeetingRecord, Store, UserRecord};

/// Longest title, in characters.
const MAX_TITLE: usize = 200;
/// Longest display name, in characters.
const MAX_NAME: usize = 80;

/// All meetings the server has loaded, and the store behind them.
pub struct Hub {
    store: Store,
    sizes: RoomSizes,
    meetings: Mutex<HashMap<Uuid, Arc<Meeting>>>,
    /// Serialises loads so a meeting is loaded once.
    loading: tokio::sync::Mutex<()>,
}

fn clean_text(what: &str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::bad_request(format!("{what} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(AppError::bad_request(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(AppError::bad_request(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(value.to_owned())
}

impl Hub {
    /// A hub over `store`.
    pub fn new(store: Store, sizes: RoomSizes) -> Hub {
        Hub {
            store,
            sizes,
            meetings: Mutex::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates a meeting with its moderator, held in `language`.
    pub async fn create_meeting(
        &self,
        title: &str,
        moderator_name: &str,
        language: Language,
    ) -> Result<MeetingCreated, AppError> {
        self.store.check_writable()?;
        let title = clean_text("title", title, MAX_TITLE)?;
        let moderator_name = clean_text("moderator_name", moderator_name, MAX_NAME)?;
        let id = Uuid::new_v4();
        let moderator_token = secrets::new_secret();
        let participant_invite = secrets::new_secret();
        let observer_invite = secrets::new_secret();
        let now = now_ms();
        let record = MeetingRecord {
            id,
            title: title.clone(),
            created_at: now,
            participant_invite_hash: secrets::hash(&participant_invite).to_vec(),
            observer_invite_hash: secrets::hash(&observer_invite).to_vec(),
            language: language.as_str().to_owned(),
        };
        let moderator = Member {
            id: Uuid::new_v4(),
            name: moderator_name,
            role: Role::Moderator,
            colour: crate::meeting::palette_colour(0),
            joined_at: now,
        };
        let user = user_record(&moderator, &moderator_token);
        let (participant_code, code_hash) = self
            .store
            .call(move |c| {
                store::insert_meeting(c, &record)?;
                store::insert_user(c, id, &user)?;
                store::replace_participant_code(c, id, fresh_code)
            })
            .await?;
        let state = MeetingState {
            title: title.clone(),
            created_at: now,
            language,
            participant_invite: secrets::hash(&participant_invite),
            observer_invite: secrets::hash(&observer_invite),
            participant_code: secret_hash(&code_hash),
            members: HashMap::from([(moderator.id, moderator.clone())]),
            by_token: HashMap::from([(secrets::hash(&moderator_token), moderator.id)]),
            bindings: HashMap::new(),
            frozen: false,
            amendments: Vec::new(),
            versions: Vec::new(),
        };
        let meeting = Meeting::new(
            id,
            state,
            RoomDoc::empty(Kind::Meeting),
            self.store.clone(),
            self.sizes,
        );
        meeting.touch();
        meeting.server_write(|txn| shown::init(txn, &title, now, language));
        let seq = meeting.show_member(&moderator);
        meeting.meeting_durable(seq).await;
        self.lock_meetings().insert(id, meeting);
        tracing::info!(meeting = %id, "meeting created");
        Ok(MeetingCreated {
            id,
            moderator_token,
            participant_invite,
            observer_invite,
            participant_code,
        })
    }

    fn lock_meetings(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Meeting>>> {
        self.meetings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Meetings in memory now.
    pub fn loaded_meetings(&self) -> usize {
        self.lock_meetings().len()
    }

    /// Drops from memory the meetings nobody has used for `idle`: no
    /// connection, no request in flight, no room waiting to unload. Their
    /// state is all in the store, and the next use loads them again.
    pub fn unload_idle(&self, idle: std::time::Duration) -> usize {
        let now = now_ms();
        let idle_ms = idle.as_millis() as i64;
        let mut meetings = self.lock_meetings();
        let before = meetings.len();
        // Only the map holds an unused meeting, and new users must take it
        // from the map, under this lock.
        meetings.retain(|_, m| Arc::strong_count(m) > 1 || now - m.last_used() < idle_ms);
        before - meetings.len()
    }

    /// The meeting, loaded from the store on first use; 404 if unknown.
    pub async fn meeting(&self, id: Uuid) -> Result<Arc<Meeting>, AppError> {
        let meeting = self.meeting_inner(id).await?;
        meeting.touch();
        Ok(meeting)
    }

    async fn meeting_inner(&self, id: Uuid) -> Result<Arc<Meeting>, AppError> {
        if let Some(m) = self.lock_meetings().get(&id).filter(|m| !m.failed()) {
            return Ok(m.clone());
        }
        let _loading = self.loading.lock().await;
        let cached = self.lock_meetings().get(&id).cloned();
        match cached {
            Some(m) if !m.failed() => return Ok(m),
            Some(m) => {
                // Its `meeting` room failed to store a change: this copy
                // is retired (every connection to it closes and reconnects)
                // and the meeting is loaded again from what is stored.
                m.fail_rooms("the server could not store a change; reconnecting")
                    .await;
                self.lock_meetings().remove(&id);
                tracing::warn!(meeting = %id, "meeting reloaded after a storage failure");
            }
            None => {}
        }
        let key = format!("{id}/meeting");
        let (loaded, room, amendments, versions, frozen) = self
            .store
            .call(move |c| {
                let m = store::load_meeting(c, id)?;
                let r = store::load_room(c, &key)?;
                let a = store::load_amendments(c, id)?;
                let v = store::load_versions(c, id)?;
                let f = store::is_frozen(c, id)?;
                Ok((m, r, a, v, f))
            })
            .await?;
        let Some(loaded) = loaded else {
            return Err(AppError::not_found("no such meeting"));
        };
        let doc = RoomDoc::load(
            Kind::Meeting,
            room.snapshot,
            room.updates,
            room.refused_clients,
        )
        .map_err(|e| {
            tracing::error!(meeting = %id, error = %e, "stored meeting room does not decode");
            AppError::new(
                draftroom_shared::ErrorCode::Internal,
                "the meeting's stored state is damaged",
            )
        })?;
        let mut members = HashMap::new();
        let mut by_token = HashMap::new();
        for u in loaded.users {
            let role = u.role.parse::<Role>().unwrap_or(Role::Observer);
            let hash: secrets::SecretHash = u.token_hash.as_slice().try_into().unwrap_or([0; 32]);
            by_token.insert(hash, u.id);
            members.insert(
                u.id,
                Member {
                    id: u.id,
                    name: u.name,
                    role,
                    colour: u.colour,
                    joined_at: u.joined_at,
                },
            );
        }
        let m = loaded.meeting;
        let state = MeetingState {
            title: m.title,
            created_at: m.created_at,
            // A tag this server does not know (written by a later one) reads
            // as the default rather than losing the meeting.
            language: m.language.parse().unwrap_or_default(),
            participant_invite: m
                .participant_invite_hash
                .as_slice()
                .try_into()
                .unwrap_or([0; 32]),
            observer_invite: m
                .observer_invite_hash
                .as_slice()
                .try_into()
                .unwrap_or([0; 32]),
            participant_code: loaded
                .participant_code_hash
                .as_deref()
                .and_then(secret_hash),
            members,
            by_token,
            bindings: loaded.bindings.into_iter().collect(),
            frozen,
            amendments: amendments
                .into_iter()
                .map(|a| Amendment {
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
                })
                .collect(),
            versions: versions
                .into_iter()
                .map(|v| Version {
                    number: v.number,
                    created_at: v.created_at,
                    frozen_by: v.frozen_by,
                    sha256: v.sha256,
                    text: v.text,
                })
                .collect(),
        };
        let meeting = Meeting::new(id, state, doc, self.store.clone(), self.sizes);
        {
            // Show whatever was stored but not yet shown when it stopped.
            let st = meeting.state();
            meeting.server_write(|txn| shown::reconcile(txn, &st));
        }
        self.lock_meetings().insert(id, meeting.clone());
        tracing::debug!(meeting = %id, "meeting loaded");
        Ok(meeting)
    }

    /// The meeting and the member whose token this is: 404 for an unknown
    /// meeting, 401 for a missing or foreign token.
    pub async fn authenticate(
        &self,
        id: Uuid,
        token: Option<&str>,
    ) -> Result<(Arc<Meeting>, Member), AppError> {
        let meeting = self.meeting(id).await?;
        let token = token.ok_or_else(|| AppError::unauthorized("a token is required"))?;
        let member = meeting
            .member_by_token(token)
            .ok_or_else(|| AppError::unauthorized("this token is not valid for this meeting"))?;
        Ok((meeting, member))
    }

    /// What an invite opens: the meeting's title, the role it gives and
    /// whether the draft is frozen, for the page that asks for a name.
    pub async fn invitation(&self, id: Uuid, invite: &str) -> Result<Invited, AppError> {
        let meeting = self.meeting(id).await?;
        let st = meeting.state();
        Ok(Invited {
            title: st.title.clone(),
            role: invite_role(&st, invite)?,
            frozen: st.frozen,
            language: st.language,
        })
    }

    /// Joins a meeting with an invite.
    pub async fn join(&self, id: Uuid, invite: &str, name: &str) -> Result<Joined, AppError> {
        self.store.check_writable()?;
        let meeting = self.meeting(id).await?;
        let name = clean_text("name", name, MAX_NAME)?;
        let (role, colour) = {
            let st = meeting.state();
            (invite_role(&st, invite)?, st.next_colour())
        };
        let token = secrets::new_secret();
        let member = Member {
            id: Uuid::new_v4(),
            name,
            role,
            colour,
            joined_at: now_ms(),
        };
        let record = user_record(&member, &token);
        self.store
            .call(move |c| store::insert_user(c, id, &record))
            .await?;
        // An observer is not shown by name: the audience is a count of
        // those connected (see `audience`), so this join costs the clients
        // in the room nothing.
        let seq = {
            let mut st = meeting.state();
            st.by_token.insert(secrets::hash(&token), member.id);
            st.members.insert(member.id, member.clone());
            meeting.show_member(&member)
        };
        meeting.meeting_durable(seq).await;
        tracing::info!(meeting = %id, user = %member.id, role = %role, "member joined");
        Ok(Joined {
            token,
            user_id: member.id,
            role,
        })
    }

    /// Lets a participant co-edit the draft.
    pub async fn grant_editor(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        user: Uuid,
    ) -> Result<Member, AppError> {
        self.store.check_writable()?;
        require_moderator(by, "grant editing")?;
        let target = meeting
            .state()
            .members
            .get(&user)
            .cloned()
            .ok_or_else(|| AppError::not_found("no such member in this meeting"))?;
        match target.role {
            Role::Editor => return Ok(target),
            Role::Moderator => {
                return Err(AppError::conflict("the moderator already edits the draft"));
            }
            Role::Observer => {
                return Err(AppError::conflict(
                    "observers follow read-only; invite them as participants first",
                ));
            }
            Role::Participant => {}
        }
        self.store
            .call(move |c| store::update_role(c, user, Role::Editor.as_str()))
            .await?;
        let (member, seq) = {
            let mut st = meeting.state();
            let m = st.members.get_mut(&user).expect("member present");
            m.role = Role::Editor;
            let m = m.clone();
            let seq = meeting.show_member(&m);
            (m, seq)
        };
        meeting.meeting_durable(seq).await;
        tracing::info!(meeting = %meeting.id, user = %user, "editing granted");
        Ok(member)
    }

    /// Replaces invites, so a leaked link stops working; the participant
    /// code goes with the participant invite.
    pub async fn rotate_invites(
        &self,
        meeting: &Arc<Meeting>,
        by: &Member,
        which: RotateInvites,
    ) -> Result<InvitesRotated, AppError> {
        self.store.check_writable()?;
        require_moderator(by, "replace invites")?;
        if !which.participant && !which.observer {
            return Err(AppError::bad_request(
                "say which invites to replace: {\"participant\":true} and/or {\"observer\":true}",
            ));
        }
        // One rotation at a time, so the store and memory agree on which
        // invites and code are the meeting's.
        let _serial = meeting.commands.lock().await;
        let participant = which.participant.then(secrets::new_secret);
        let observer = which.observer.then(secrets::new_secret);
        let (p_hash, o_hash) = {
            let st = meeting.state();
            (
                participant
                    .as_deref()
                    .map_or(st.participant_invite, secrets::hash),
                observer
                    .as_deref()
                    .map_or(st.observer_invite, secrets::hash),
            )
        };
        let id = meeting.id;
        let code = which.participant;
        let new_code = self
            .store
            .call(move |c| {
                store::update_invites(c, id, &p_hash, &o_hash)?;
                code.then(|| store::replace_participant_code(c, id, fresh_code))
                    .transpose()
            })
            .await?;
        let participant_code = {
            let mut st = meeting.state();
            st.participant_invite = p_hash;
            st.observer_invite = o_hash;
            new_code.map(|(code, hash)| {
                st.participant_code = secret_hash(&hash);
                code
            })
        };
        tracing::info!(meeting = %id, participant = which.participant, observer = which.observer, "invites replaced");
        Ok(InvitesRotated {
            participant_invite: participant,
            observer_invite: observer,
            participant_code,
        })
    }

    /// What a participant code opens: its meeting, for the page that asks
    /// for a name. An unknown code is 401, as a wrong invite is.
    pub async fn resolve_code(&self, typed: &str) -> Result<CodeOpens, AppError> {
        let unknown =
            || AppError::unauthorized("no meeting has this code (it may have been replaced)");
        let hash = join_code::hash(typed).ok_or_else(unknown)?;
        let id = self
            .store
            .call(move |c| store::meeting_of_code(c, &hash))
            .await?
            .ok_or_else(unknown)?;
        let meeting = self.meeting(id).await?;
        let st = meeting.state();
        // The meeting's own record decides, as it does for a join.
        if !st
            .participant_code
            .is_some_and(|stored| join_code::matches(typed, &stored))
        {
            return Err(unknown());
        }
        Ok(CodeOpens {
            meeting_id: id,
            title: st.title.clone(),
            role: Role::Participant,
            frozen: st.frozen,
            language: st.language,
        })
    }
}

/// 403 unless `by` is the moderator; `what` completes "only the moderator may …".
pub(crate) fn require_moderator(by: &Member, what: &str) -> Result<(), AppError> {
    if by.role == Role::Moderator {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "only the moderator may {what}"
        )))
    }
}

fn user_record(m: &Member, token: &str) -> UserRecord {
    UserRecord {
        id: m.id,
        name: m.name.clone(),
        role: m.role.as_str().to_owned(),
        colour: m.colour.clone(),
        token_hash: secrets::hash(token).to_vec(),
        joined_at: m.joined_at,
    }
}

/// A fresh participant code and its stored hash.
fn fresh_code() -> (String, Vec<u8>) {
    let code = join_code::new_code();
    let hash = join_code::hash(&code).expect("a fresh code reads as a code");
    (code, hash.to_vec())
}

/// A stored hash as kept in memory (None if it is not one).
fn secret_hash(stored: &[u8]) -> Option<secrets::SecretHash> {
    stored.try_into().ok()
}

/// The role an invite of this meeting, or its participant code, gives.
fn invite_role(st: &MeetingState, invite: &str) -> Result<Role, AppError> {
    if secrets::matches(invite, &st.participant_invite) {
        Ok(Role::Participant)
    } else if secrets::matches(invite, &st.observer_invite) {
        Ok(Role::Observer)
    } else if st
        .participant_code
        .is_some_and(|code| join_code::matches(invite, &code))
    {
        Ok(Role::Participant)
    } else {
        Err(AppError::unauthorized(
            "this invite is not valid for this meeting (it may have been replaced)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meeting::Meeting;
    use std::time::Duration;
    use yrs::{Map, ReadTxn, Transact};

    fn sizes() -> RoomSizes {
        RoomSizes {
            backlog: 16,
            compact_every: 1000,
            idle: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn idle_meetings_unload_and_come_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let hub = Hub::new(store, sizes());
        let created = hub
            .create_meeting("Misja Krakowa", "Anna", Language::Pl)
            .await
            .unwrap();
        let joined = hub
            .join(created.id, &created.participant_invite, "Łukasz")
            .await
            .unwrap();
        // In use: it stays.
        let held = hub.meeting(created.id).await.unwrap();
        assert_eq!(hub.unload_idle(Duration::ZERO), 0);
        drop(held);
        // Used a moment ago: it stays for the idle time.
        assert_eq!(hub.unload_idle(Duration::from_secs(60)), 0);
        assert_eq!(hub.unload_idle(Duration::ZERO), 1);
        assert_eq!(hub.loaded_meetings(), 0);

        let (meeting, member) = hub
            .authenticate(created.id, Some(&joined.token))
            .await
            .unwrap();
        assert_eq!(member.name, "Łukasz");
        assert_eq!(member.role, Role::Participant);
        assert_eq!(meeting.state().title, "Misja Krakowa");
        assert_eq!(meeting.state().members.len(), 2);
        let doc = meeting.meeting_room.doc();
        let txn = doc.doc().transact();
        let participants = txn.get_map("participants").unwrap();
        assert_eq!(participants.len(&txn), 2, "shown once each, not again");
    }

    /// The `meeting` room's `meeting.observers`, if shown.
    fn shown_observers(meeting: &Meeting) -> Option<f64> {
        let doc = meeting.meeting_room.doc();
        let txn = doc.doc().transact();
        let value = txn.get_map("meeting")?.get(&txn, "observers")?;
        match yrs::types::ToJson::to_json(&value, &txn) {
            yrs::Any::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    #[tokio::test]
    async fn the_audience_is_a_count_written_at_most_about_once_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let hub = Hub::new(store, sizes());
        let created = hub
            .create_meeting("Misja", "Anna", Language::Pl)
            .await
            .unwrap();
        let participant = hub
            .join(created.id, &created.participant_invite, "Łukasz")
            .await
            .unwrap();
        let meeting = hub.meeting(created.id).await.unwrap();
        assert_eq!(shown_observers(&meeting), Some(0.0));
        let before = meeting.meeting_room.doc().seq();
        let mut observers = Vec::new();
        for i in 0..200 {
            let o = hub
                .join(created.id, &created.observer_invite, &format!("Widz {i}"))
                .await
                .unwrap();
            assert_eq!(o.role, Role::Observer);
            observers.push(o.user_id);
        }
        assert_eq!(
            meeting.meeting_room.doc().seq(),
            before,
            "joining as an observer writes nothing into the meeting room"
        );
        // Each connects twice (the draft and the meeting room) in a storm.
        let started = std::time::Instant::now();
        let following: Vec<_> = observers
            .iter()
            .flat_map(|o| [meeting.follow(*o), meeting.follow(*o)])
            .collect();
        assert_eq!(meeting.audience(), 200, "a member counts once");
        while shown_observers(&meeting) != Some(200.0) {
            assert!(started.elapsed() < Duration::from_secs(5), "never shown");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let writes = meeting.meeting_room.doc().seq() - before;
        let seconds = started.elapsed().as_secs() + 1;
        assert!(
            writes <= seconds + 1,
            "{writes} writes in {seconds} s for 400 connections"
        );
        drop(following);
        while shown_observers(&meeting) != Some(0.0) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "never back to 0"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The people in the room stay listed, the audience does not.
        {
            let doc = meeting.meeting_room.doc();
            let txn = doc.doc().transact();
            let listed = txn.get_map("participants").unwrap();
            assert_eq!(listed.len(&txn), 2);
            assert!(listed.get(&txn, &participant.user_id.to_string()).is_some());
        }
        // Distinct colours for the people in the room, whatever the audience.
        let late = hub
            .join(created.id, &created.participant_invite, "Zofia")
            .await
            .unwrap();
        let colour = meeting.state().members[&late.user_id].colour.clone();
        assert_eq!(colour, crate::meeting::palette_colour(2));
    }

    /// The moderator of `created` replaces the invites asked for; the
    /// meeting is handed back so that the caller decides when it unloads.
    async fn rotate(
        hub: &Hub,
        created: &MeetingCreated,
        participant: bool,
        observer: bool,
    ) -> (Arc<Meeting>, InvitesRotated) {
        let (meeting, moderator) = hub
            .authenticate(created.id, Some(&created.moderator_token))
            .await
            .unwrap();
        let rotated = hub
            .rotate_invites(
                &meeting,
                &moderator,
                RotateInvites {
                    participant,
                    observer,
                },
            )
            .await
            .unwrap();
        (meeting, rotated)
    }

    #[tokio::test]
    async fn a_participant_code_joins_its_meeting_only_until_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let hub = Hub::new(store, sizes());
        let a = hub
            .create_meeting("Misja", "Anna", Language::Pl)
            .await
            .unwrap();
        let b = hub
            .create_meeting("Wizja", "Adam", Language::En)
            .await
            .unwrap();
        assert_ne!(a.participant_code, b.participant_code);
        let typed = a.participant_code.to_lowercase().replace('-', " ");
        let opens = hub.resolve_code(&typed).await.unwrap();
        assert_eq!(opens.meeting_id, a.id);
        assert_eq!(opens.role, Role::Participant);
        assert_eq!(opens.language, Language::Pl);
        let joined = hub.join(a.id, &typed, "Ola").await.unwrap();
        assert_eq!(joined.role, Role::Participant);
        let err = hub.join(b.id, &typed, "Ola").await.unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::Unauthorized);

        let (meeting, rotated) = rotate(&hub, &a, true, false).await;
        let new_code = rotated.participant_code.expect("a new code");
        assert_ne!(new_code, a.participant_code);
        for old in [
            hub.resolve_code(&a.participant_code).await.unwrap_err(),
            hub.join(a.id, &a.participant_code, "Stary")
                .await
                .unwrap_err(),
        ] {
            assert_eq!(old.code, draftroom_shared::ErrorCode::Unauthorized);
        }
        // The replaced code is what a reloaded meeting knows too.
        drop(meeting);
        assert_eq!(hub.unload_idle(Duration::ZERO), 2);
        assert_eq!(hub.resolve_code(&new_code).await.unwrap().meeting_id, a.id);
        hub.join(a.id, &new_code, "Nowy").await.unwrap();
        let err = hub
            .join(a.id, &a.participant_code, "Stary")
            .await
            .unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::Unauthorized);
        // Replacing only the observer invite keeps the code.
        let (_meeting, rotated) = rotate(&hub, &a, false, true).await;
        assert_eq!(rotated.participant_code, None);
        hub.join(a.id, &new_code, "Jeszcze").await.unwrap();
    }

    #[tokio::test]
    async fn invites_and_tokens_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _closer) = Store::open(dir.path()).unwrap();
        let hub = Hub::new(store, sizes());
        let created = hub
            .create_meeting("Wizja", "Anna", Language::En)
            .await
            .unwrap();
        let err = hub.join(created.id, "nope", "X").await.unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::Unauthorized);
        let err = hub.join(Uuid::new_v4(), "nope", "X").await.unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::NotFound);
        let err = hub
            .create_meeting("  ", "Anna", Language::En)
            .await
            .unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::BadRequest);
        let observer = hub
            .join(created.id, &created.observer_invite, "Ewa")
            .await
            .unwrap();
        assert_eq!(observer.role, Role::Observer);
        let (meeting, moderator) = hub
            .authenticate(created.id, Some(&created.moderator_token))
            .await
            .unwrap();
        let err = hub
            .grant_editor(&meeting, &moderator, observer.user_id)
            .await
            .unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::Conflict);
        let rotated = hub
            .rotate_invites(
                &meeting,
                &moderator,
                RotateInvites {
                    participant: false,
                    observer: true,
                },
            )
            .await
            .unwrap();
        assert!(rotated.participant_invite.is_none());
        let err = hub
            .join(created.id, &created.observer_invite, "Old link")
            .await
            .unwrap_err();
        assert_eq!(err.code, draftroom_shared::ErrorCode::Unauthorized);
        hub.join(created.id, &rotated.observer_invite.unwrap(), "New link")
            .await
            .unwrap();
    }
}
