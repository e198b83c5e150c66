//! The commands that change who is in a meeting: join it with an invite
//! or the participant code, let a participant co-edit the draft, replace
//! the invites. Each is durable in the store before it answers, and shows
//! its effect in the meeting's `meeting` room.

use draftroom_shared::{Invited, InvitesRotated, Joined, Role, RotateInvites};
use uuid::Uuid;

use crate::clock::now_ms;
use crate::meeting::input::clean_text;
use crate::meeting::rights::Command;
use crate::meeting::state::stored_hash;
use crate::meeting::{Meeting, MeetingError, MeetingState, Member};
use crate::secrets::{self, join_code};
use crate::store::{self, UserRecord};

/// Longest title, in characters.
pub(crate) const MAX_TITLE: usize = 200;
/// Longest display name, in characters.
pub(crate) const MAX_NAME: usize = 80;

impl Meeting {
    /// What an invite opens: the meeting's title, the role it gives and
    /// whether the draft is frozen, for the page that asks for a name.
    pub fn invitation(&self, invite: &str) -> Result<Invited, MeetingError> {
        let st = self.state();
        Ok(Invited {
            title: st.title.clone(),
            role: invite_role(&st, invite)?,
            frozen: st.frozen(),
            language: st.language,
        })
    }

    /// Joins a meeting with an invite.
    pub async fn join(&self, invite: &str, name: &str) -> Result<Joined, MeetingError> {
        self.store().check_writable()?;
        let name = clean_text("name", name, MAX_NAME)?;
        let role = invite_role(&self.state(), invite)?;
        self.enrol(name, role).await
    }

    /// Adds someone in the room who has no device, as a participant, so
    /// that the moderator can put them in a group and record their signals
    /// and answers for them. Their token is made and forgotten: nobody
    /// signs in as them.
    pub async fn add_person(&self, by: &Member, name: &str) -> Result<Joined, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::AddPerson).await?;
        let name = clean_text("name", name, MAX_NAME)?;
        let mut joined = self.enrol(name, Role::Participant).await?;
        joined.token = String::new();
        Ok(joined)
    }

    /// Makes a member of `role` with a fresh token, stored and shown.
    async fn enrol(&self, name: String, role: Role) -> Result<Joined, MeetingError> {
        let colour = self.state().next_colour();
        let token = secrets::new_secret();
        let member = Member {
            id: Uuid::new_v4(),
            name,
            role,
            colour,
            joined_at: now_ms(),
        };
        let record = user_record(&member, &token);
        let stored = record.clone();
        let id = self.id;
        self.store()
            .call(move |c| store::insert_user(c, id, &stored))
            .await?;
        if let Some(announce) = self.store().announce() {
            announce.member(id, &record);
        }
        // An observer is not shown by name: the audience is a count of
        // those connected (see `audience`), so this join costs the clients
        // in the room nothing.
        let seq = {
            let mut st = self.state();
            st.by_token.insert(secrets::hash(&token), member.id);
            st.members.insert(member.id, member.clone());
            self.show_member(&member)
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, user = %member.id, role = %role, "member joined");
        Ok(Joined {
            token,
            user_id: member.id,
            role,
        })
    }

    /// Lets a participant co-edit the draft.
    pub async fn grant_editor(&self, by: &Member, user: Uuid) -> Result<Member, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::GrantEditor).await?;
        let target = self
            .state()
            .members
            .get(&user)
            .cloned()
            .ok_or_else(|| MeetingError::not_found("no such member in this meeting"))?;
        match target.role {
            Role::Editor => return Ok(target),
            Role::Moderator => {
                return Err(MeetingError::conflict(
                    "the moderator already edits the draft",
                ));
            }
            Role::Observer => {
                return Err(MeetingError::conflict(
                    "observers follow read-only; invite them as participants first",
                ));
            }
            Role::Participant => {}
        }
        self.store()
            .call(move |c| store::update_role(c, user, Role::Editor.as_str()))
            .await?;
        let (member, seq) = {
            let mut st = self.state();
            let m = st.members.get_mut(&user).expect("member present");
            m.role = Role::Editor;
            let m = m.clone();
            let seq = self.show_member(&m);
            (m, seq)
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, user = %user, "editing granted");
        Ok(member)
    }

    /// Replaces invites, so a leaked link stops working; the participant
    /// code goes with the participant invite.
    pub async fn rotate_invites(
        &self,
        by: &Member,
        which: RotateInvites,
    ) -> Result<InvitesRotated, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::RotateInvites).await?;
        if !which.participant && !which.observer {
            return Err(MeetingError::invalid(
                "say which invites to replace: {\"participant\":true} and/or {\"observer\":true}",
            ));
        }
        // One rotation at a time, so the store and memory agree on which
        // invites and code are the meeting's.
        let participant = which.participant.then(secrets::new_secret);
        let observer = which.observer.then(secrets::new_secret);
        let (p_hash, o_hash) = {
            let st = self.state();
            (
                participant
                    .as_deref()
                    .map_or(st.participant_invite, secrets::hash),
                observer
                    .as_deref()
                    .map_or(st.observer_invite, secrets::hash),
            )
        };
        let id = self.id;
        let code = which.participant;
        let new_code = self
            .store()
            .call(move |c| {
                store::update_invites(c, id, &p_hash, &o_hash)?;
                code.then(|| store::replace_participant_code(c, id, fresh_code))
                    .transpose()
            })
            .await?;
        let participant_code = {
            let mut st = self.state();
            st.participant_invite = p_hash;
            st.observer_invite = o_hash;
            new_code.map(|(code, hash)| {
                st.participant_code = stored_hash(&hash);
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
}

pub(crate) fn user_record(m: &Member, token: &str) -> UserRecord {
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
pub(crate) fn fresh_code() -> (String, Vec<u8>) {
    let code = join_code::new_code();
    let hash = join_code::hash(&code).expect("a fresh code reads as a code");
    (code, hash.to_vec())
}

/// The role an invite of this meeting, or its participant code, gives.
fn invite_role(st: &MeetingState, invite: &str) -> Result<Role, MeetingError> {
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
        Err(MeetingError::unauthorized(
            "this invite is not valid for this meeting (it may have been replaced)",
        ))
    }
}
