//! The registry of meetings: creates them, loads them from the store on
//! first use (and again after a storage failure), finds them by token or
//! participant code, and unloads those nobody uses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use draftroom_shared::{
    CodeOpens, Invited, Joined, Language, MeetingCreated, Role, RoomName, Stage,
};
use uuid::Uuid;

use crate::clock::now_ms;
use crate::cluster::{Cluster, Owner};
use crate::meeting::commands::members::{MAX_NAME, MAX_TITLE, fresh_code, user_record};
use crate::meeting::input::clean_text;
use crate::meeting::shown;
use crate::meeting::state::stored_hash;
use crate::meeting::{
    Amendment, LiveRoom, Meeting, MeetingError, MeetingState, Member, RoomSizes, Version,
};
use crate::room::{Kind, RoomDoc};
use crate::secrets::{self, join_code};
use crate::store::owners::{self, Ownership};
use crate::store::{self, Fence, MeetingRecord, Store, UserRecord};

/// All meetings the server has loaded, and the store behind them.
pub struct Hub {
    store: Store,
    /// The cluster this process is part of (PostgreSQL): a meeting is
    /// loaded here only while this process holds its lease.
    cluster: Option<Arc<Cluster>>,
    sizes: RoomSizes,
    meetings: Mutex<HashMap<Uuid, Arc<Meeting>>>,
    /// Read-only copies of meetings other processes own, for observers.
    replicas: Mutex<HashMap<Uuid, Arc<Meeting>>>,
    /// Serialises loads so a meeting is loaded once.
    loading: tokio::sync::Mutex<()>,
}

impl Hub {
    /// A hub over `store`.
    pub fn new(store: Store, sizes: RoomSizes) -> Hub {
        Hub {
            store,
            cluster: None,
            sizes,
            meetings: Mutex::new(HashMap::new()),
            replicas: Mutex::new(HashMap::new()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// This hub as one process of `cluster`.
    pub fn in_cluster(self, cluster: Arc<Cluster>) -> Hub {
        Hub {
            cluster: Some(cluster),
            ..self
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The cluster, if this process is part of one.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    /// The store a meeting this process owns writes through: under its
    /// lease in a cluster, announcing what it commits to the others.
    fn store_for(&self, fence: Option<Fence>) -> Store {
        let store = match fence {
            Some(f) => self.store.fenced(f),
            None => self.store.clone(),
        };
        match self.cluster.as_ref().and_then(|c| c.announcer()) {
            Some(a) => store.announcing(a),
            None => store,
        }
    }

    fn lock_replicas(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Meeting>>> {
        self.replicas.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only copy of meeting `id`, which another process owns: loaded
    /// from the store on first use, then kept up to date with what its
    /// owner commits.
    pub async fn replica(&self, id: Uuid) -> Result<Arc<Meeting>, MeetingError> {
        if let Some(m) = self.lock_replicas().get(&id).filter(|m| !m.failed()) {
            m.touch();
            return Ok(m.clone());
        }
        let _loading = self.loading.lock().await;
        if let Some(m) = self.lock_replicas().get(&id).filter(|m| !m.failed()) {
            return Ok(m.clone());
        }
        let replica = self.load_as(id, None, true).await?;
        self.lock_replicas().insert(id, replica.clone());
        tracing::debug!(meeting = %id, "copy of a meeting loaded");
        Ok(replica)
    }

    /// The member holding `token` whom `copy` (of meeting `id`) does not
    /// know yet, one who joined on the owner after it was loaded: looked up
    /// in the store and learnt.
    pub async fn look_up_member(
        &self,
        copy: &Meeting,
        id: Uuid,
        token: &str,
    ) -> Result<Option<Member>, MeetingError> {
        let hash = secrets::hash(token);
        let found = self
            .store
            .call(move |c| store::user_by_token(c, id, &hash))
            .await?;
        Ok(found.and_then(|u| copy.learn_member(u)))
    }

    /// A member stored by the owner of meeting `key` on another process:
    /// this process's copy of it, if it has one, learns the member.
    pub fn relayed_member(&self, key: &str, user: UserRecord) {
        let Ok(id) = Uuid::parse_str(key) else {
            return;
        };
        if let Some(copy) = self.lock_replicas().get(&id).cloned() {
            copy.learn_member(user);
        }
    }

    /// The loaded room `key` (`{meeting}/{room}`) of a copy, if any.
    async fn replica_room(&self, key: &str) -> Option<Arc<LiveRoom>> {
        let (id, name) = key.split_once('/')?;
        let id = Uuid::parse_str(id).ok()?;
        let name: RoomName = name.parse().ok()?;
        let replica = self.lock_replicas().get(&id).cloned();
        replica?.loaded_room(name).await
    }

    /// Update `seq` of room `key`, committed by its owner on another
    /// process: applied to this process's copy, if it has one; a gap is
    /// filled from the store.
    pub async fn relayed(&self, key: &str, seq: u64, update: Arc<[u8]>) {
        let Some(room) = self.replica_room(key).await else {
            return;
        };
        if room.take_relayed(seq, update).is_err() {
            self.catch_up_room(&room).await;
        }
    }

    /// Forgets the audience counts of copies whose process is gone.
    pub fn expire_remote_audiences(&self) {
        let owned: Vec<Arc<Meeting>> = self.lock_meetings().values().cloned().collect();
        for meeting in owned {
            meeting.expire_remote_audience();
        }
    }

    /// How many observers `process`'s copy of meeting `key` serves, for
    /// the meeting's count if this process owns it.
    pub fn remote_audience(&self, key: &str, process: Uuid, count: usize) {
        let Ok(id) = Uuid::parse_str(key) else { return };
        let owned = self.lock_meetings().get(&id).cloned();
        if let Some(meeting) = owned {
            meeting.remote_audience(process, count);
        }
    }

    /// A presence change in room `key` on its owner's process.
    pub async fn presence(&self, key: &str, frame: Vec<u8>) {
        let Some(room) = self.replica_room(key).await else {
            return;
        };
        if let Ok(yrs::sync::Message::Awareness(update)) =
            yrs::updates::decoder::Decode::decode_v1(&frame)
        {
            let applied = room
                .awareness
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .apply_update(update);
            if applied.is_ok() {
                room.relay_awareness(0, frame);
            }
        }
    }

    /// Brings one room of a copy up to what the store holds.
    async fn catch_up_room(&self, room: &Arc<LiveRoom>) {
        let (key, have) = (room.key().to_owned(), room.doc().seq());
        match self
            .store
            .call(move |c| store::room_since(c, &key, have))
            .await
        {
            Ok(since) => {
                let taken = room.catch_up(since);
                if taken > 0 {
                    tracing::debug!(room = room.key(), taken, "copy caught up from the store");
                }
            }
            Err(e) => tracing::debug!(error = %e, "a copy could not catch up"),
        }
    }

    /// Brings every copy's loaded rooms up to what the store holds: what
    /// the relay lost (or everything, while Redis is down) arrives this way.
    pub async fn catch_up_replicas(&self) {
        let replicas: Vec<Arc<Meeting>> = self.lock_replicas().values().cloned().collect();
        for replica in replicas {
            replica.announce_audience(replica.audience());
            for room in replica.loaded_rooms().await {
                self.catch_up_room(&room).await;
            }
        }
    }

    /// Creates a meeting with its moderator, held in `language`.
    pub async fn create_meeting(
        &self,
        title: &str,
        moderator_name: &str,
        language: Language,
        workshop: bool,
    ) -> Result<MeetingCreated, MeetingError> {
        self.store.check_writable()?;
        let title = clean_text("title", title, MAX_TITLE)?;
        let moderator_name = clean_text("moderator_name", moderator_name, MAX_NAME)?;
        let id = Uuid::new_v4();
        let moderator_token = secrets::new_secret();
        let participant_invite = secrets::new_secret();
        let observer_invite = secrets::new_secret();
        let now = now_ms();
        // A workshop begins with the groups' elements; a meeting without
        // the method, with the draft open for amendments, as it always has.
        let stage = if workshop {
            Stage::Collect
        } else {
            Stage::Amend
        };
        let record = MeetingRecord {
            id,
            title: title.clone(),
            created_at: now,
            participant_invite_hash: secrets::hash(&participant_invite).to_vec(),
            observer_invite_hash: secrets::hash(&observer_invite).to_vec(),
            language: language.as_str().to_owned(),
            stage: Some(stage.as_str().to_owned()),
            workshop,
        };
        let moderator = Member {
            id: Uuid::new_v4(),
            name: moderator_name,
            role: Role::Moderator,
            colour: crate::meeting::palette_colour(0),
            joined_at: now,
        };
        let user = user_record(&moderator, &moderator_token);
        // In a cluster the process that creates a meeting owns it, from
        // the same transaction on.
        let claim = self.cluster.as_ref().map(|c| {
            (
                c.process(),
                c.address().to_owned(),
                c.lease().as_millis() as i64,
            )
        });
        let (participant_code, code_hash, owned) = self
            .store
            .call(move |c| {
                store::insert_meeting(c, &record)?;
                store::insert_user(c, id, &user)?;
                let (code, hash) = store::replace_participant_code(c, id, fresh_code)?;
                let owned = match claim {
                    Some((process, address, lease_ms)) => {
                        match owners::claim_meeting(c, id, process, &address, lease_ms)? {
                            Ownership::Mine { epoch } => Some(Fence {
                                meeting: id,
                                process,
                                epoch,
                            }),
                            _ => None,
                        }
                    }
                    None => None,
                };
                Ok((code, hash, owned))
            })
            .await?;
        if let (Some(cluster), Some(fence)) = (&self.cluster, owned) {
            cluster.owns(fence);
        }
        let state = MeetingState {
            title: title.clone(),
            created_at: now,
            language,
            participant_invite: secrets::hash(&participant_invite),
            observer_invite: secrets::hash(&observer_invite),
            participant_code: stored_hash(&code_hash),
            members: HashMap::from([(moderator.id, moderator.clone())]),
            by_token: HashMap::from([(secrets::hash(&moderator_token), moderator.id)]),
            bindings: HashMap::new(),
            stage,
            workshop,
            amendments: Vec::new(),
            versions: Vec::new(),
        };
        let meeting = Meeting::new(
            id,
            state,
            RoomDoc::empty(Kind::Meeting),
            self.store_for(owned),
            self.sizes,
        );
        meeting.touch();
        meeting.server_write(|txn| {
            shown::init(txn, &title, now, language);
            shown::show_stage(txn, stage, workshop);
        });
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
        self.lock_replicas()
            .retain(|_, m| Arc::strong_count(m) > 1 || now - m.last_used() < idle_ms);
        meetings.retain(|id, m| {
            let keep = Arc::strong_count(m) > 1 || now - m.last_used() < idle_ms;
            if !keep && let Some(cluster) = &self.cluster {
                cluster.release(*id);
            }
            keep
        });
        before - meetings.len()
    }

    /// The meeting, loaded from the store on first use; 404 if unknown.
    pub async fn meeting(&self, id: Uuid) -> Result<Arc<Meeting>, MeetingError> {
        let meeting = self.meeting_inner(id).await?;
        meeting.touch();
        Ok(meeting)
    }

    async fn meeting_inner(&self, id: Uuid) -> Result<Arc<Meeting>, MeetingError> {
        if let Some(m) = self.cached(id) {
            return Ok(m);
        }
        let _loading = self.loading.lock().await;
        // Another request may have loaded it while this one waited.
        if let Some(m) = self.cached(id) {
            return Ok(m);
        }
        self.retire_failed(id).await;
        let fence = match &self.cluster {
            None => None,
            Some(cluster) => match cluster.reach(id).await? {
                Owner::Here(fence) => {
                    // A copy kept while another process owned it gives way.
                    let copy = self.lock_replicas().remove(&id);
                    if let Some(copy) = copy {
                        copy.fail_rooms("this meeting moved to this server; reconnecting")
                            .await;
                    }
                    Some(fence)
                }
                Owner::There { address, .. } => return Err(MeetingError::Moved(address)),
                Owner::Unknown => return Err(MeetingError::not_found("no such meeting")),
            },
        };
        let meeting = self.load(id, fence).await?;
        self.lock_meetings().insert(id, meeting.clone());
        tracing::debug!(meeting = %id, "meeting loaded");
        Ok(meeting)
    }

    /// Drops meetings whose lease this process lost: their sockets close
    /// with a code the clients retry, and they reconnect to the new owner.
    pub async fn give_up(&self, lost: &[Uuid]) {
        for id in lost {
            let Some(meeting) = self.lock_meetings().remove(id) else {
                continue;
            };
            meeting
                .fail_rooms("this meeting moved to another server; reconnecting")
                .await;
        }
    }

    /// The meeting's copy in memory, unless its `meeting` room failed.
    fn cached(&self, id: Uuid) -> Option<Arc<Meeting>> {
        self.lock_meetings()
            .get(&id)
            .filter(|m| !m.failed())
            .cloned()
    }

    /// Retires a copy whose `meeting` room failed to store a change: every
    /// connection to it closes and reconnects, to the copy loaded next.
    async fn retire_failed(&self, id: Uuid) {
        let Some(failed) = self.lock_meetings().remove(&id) else {
            return;
        };
        failed
            .fail_rooms("the server could not store a change; reconnecting")
            .await;
        tracing::warn!(meeting = %id, "meeting reloaded after a storage failure");
    }

    /// Loads a meeting from the store, its `meeting` room reconciled with
    /// what is stored.
    async fn load(&self, id: Uuid, fence: Option<Fence>) -> Result<Arc<Meeting>, MeetingError> {
        self.load_as(id, fence, false).await
    }

    /// Loads a meeting this process owns, or (`replica`) a read-only copy
    /// of one another process owns.
    async fn load_as(
        &self,
        id: Uuid,
        fence: Option<Fence>,
        replica: bool,
    ) -> Result<Arc<Meeting>, MeetingError> {
        let key = format!("{id}/meeting");
        let (loaded, room, amendments, versions, frozen, catalogue, method) = self
            .store
            .call(move |c| {
                let m = store::load_meeting(c, id)?;
                let r = store::load_room(c, &key)?;
                let a = store::load_amendments(c, id)?;
                let v = store::load_versions(c, id)?;
                let f = store::is_frozen(c, id)?;
                let k = store::load_catalogue(c, id)?;
                let n = store::load_method(c, id)?;
                Ok((m, r, a, v, f, k, n))
            })
            .await?;
        let loaded = loaded.ok_or_else(|| MeetingError::not_found("no such meeting"))?;
        let doc = RoomDoc::load(
            Kind::Meeting,
            room.snapshot,
            room.updates,
            room.refused_clients,
        )
        .map_err(|e| {
            tracing::error!(meeting = %id, error = %e, "stored meeting room does not decode");
            MeetingError::damaged("the meeting's stored state is damaged")
        })?;
        let mut state = MeetingState::stored(loaded, frozen);
        state.amendments = amendments.into_iter().map(Amendment::from).collect();
        state.versions = versions.into_iter().map(Version::from).collect();
        if replica {
            return Ok(Meeting::replica(
                id,
                state,
                doc,
                self.store_for(None),
                self.sizes,
            ));
        }
        let meeting = Meeting::new(id, state, doc, self.store_for(fence), self.sizes);
        {
            // Show whatever was stored but not yet shown when it stopped.
            let st = meeting.state();
            meeting.server_write(|txn| {
                shown::reconcile(txn, &st);
                if !catalogue.groups.is_empty() {
                    shown::show_catalogue(txn, &catalogue);
                }
                shown::show_method(txn, &method, &st.members);
            });
        }
        Ok(meeting)
    }

    /// The meeting and the member whose token this is: 404 for an unknown
    /// meeting, 401 for a missing or foreign token.
    pub async fn authenticate(
        &self,
        id: Uuid,
        token: Option<&str>,
    ) -> Result<(Arc<Meeting>, Member), MeetingError> {
        let meeting = self.meeting(id).await?;
        let token = token.ok_or_else(|| MeetingError::unauthorized("a token is required"))?;
        let member = meeting.member_by_token(token).ok_or_else(|| {
            MeetingError::unauthorized("this token is not valid for this meeting")
        })?;
        Ok((meeting, member))
    }

    /// What an invite of meeting `id` opens (see [`Meeting::invitation`]).
    pub async fn invitation(&self, id: Uuid, invite: &str) -> Result<Invited, MeetingError> {
        self.meeting(id).await?.invitation(invite)
    }

    /// Joins meeting `id` with an invite (see [`Meeting::join`]).
    pub async fn join(&self, id: Uuid, invite: &str, name: &str) -> Result<Joined, MeetingError> {
        self.meeting(id).await?.join(invite, name).await
    }

    /// What a participant code opens: its meeting, for the page that asks
    /// for a name. An unknown code is 401, as a wrong invite is.
    pub async fn resolve_code(&self, typed: &str) -> Result<CodeOpens, MeetingError> {
        let unknown =
            || MeetingError::unauthorized("no meeting has this code (it may have been replaced)");
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
            frozen: st.frozen(),
            language: st.language,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use draftroom_shared::{InvitesRotated, RotateInvites};
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
            .create_meeting("Misja Krakowa", "Anna", Language::Pl, false)
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
            .create_meeting("Misja", "Anna", Language::Pl, false)
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
        let rotated = meeting
            .rotate_invites(
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
            .create_meeting("Misja", "Anna", Language::Pl, false)
            .await
            .unwrap();
        let b = hub
            .create_meeting("Wizja", "Adam", Language::En, false)
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
        assert_eq!(err.code(), draftroom_shared::ErrorCode::Unauthorized);

        let (meeting, rotated) = rotate(&hub, &a, true, false).await;
        let new_code = rotated.participant_code.expect("a new code");
        assert_ne!(new_code, a.participant_code);
        for old in [
            hub.resolve_code(&a.participant_code).await.unwrap_err(),
            hub.join(a.id, &a.participant_code, "Stary")
                .await
                .unwrap_err(),
        ] {
            assert_eq!(old.code(), draftroom_shared::ErrorCode::Unauthorized);
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
        assert_eq!(err.code(), draftroom_shared::ErrorCode::Unauthorized);
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
            .create_meeting("Wizja", "Anna", Language::En, false)
            .await
            .unwrap();
        let err = hub.join(created.id, "nope", "X").await.unwrap_err();
        assert_eq!(err.code(), draftroom_shared::ErrorCode::Unauthorized);
        let err = hub.join(Uuid::new_v4(), "nope", "X").await.unwrap_err();
        assert_eq!(err.code(), draftroom_shared::ErrorCode::NotFound);
        let err = hub
            .create_meeting("  ", "Anna", Language::En, false)
            .await
            .unwrap_err();
        assert_eq!(err.code(), draftroom_shared::ErrorCode::BadRequest);
        let observer = hub
            .join(created.id, &created.observer_invite, "Ewa")
            .await
            .unwrap();
        assert_eq!(observer.role, Role::Observer);
        let (meeting, moderator) = hub
            .authenticate(created.id, Some(&created.moderator_token))
            .await
            .unwrap();
        let err = meeting
            .grant_editor(&moderator, observer.user_id)
            .await
            .unwrap_err();
        assert_eq!(err.code(), draftroom_shared::ErrorCode::Conflict);
        let rotated = meeting
            .rotate_invites(
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
        assert_eq!(err.code(), draftroom_shared::ErrorCode::Unauthorized);
        hub.join(created.id, &rotated.observer_invite.unwrap(), "New link")
            .await
            .unwrap();
    }
}
