//! A meeting with one member of every role, the starting point of most
//! tests.

use crate::Server;
use draftroom_shared::{Joined, MeetingCreated};
use uuid::Uuid;

/// A meeting and its members: the moderator (from creation), an editor (a
/// participant granted editing), a participant and an observer.
pub struct Meeting {
    /// The creation answer: id, moderator token, invites.
    pub created: MeetingCreated,
    /// A participant the moderator has made an editor.
    pub editor: Joined,
    /// A plain participant.
    pub participant: Joined,
    /// An observer.
    pub observer: Joined,
}

impl Meeting {
    /// Creates a meeting titled `title` and joins one member per role.
    pub async fn set_up(server: &Server, title: &str) -> anyhow::Result<Self> {
        let created = server.create_meeting(title, "Ewa Łukasiewicz").await?;
        Self::join_all(server, created).await
    }

    /// [`Meeting::set_up`] for a meeting held in `language` (`pl`, `en`).
    pub async fn set_up_in(server: &Server, title: &str, language: &str) -> anyhow::Result<Self> {
        let created = server
            .create_meeting_in(title, "Ewa Łukasiewicz", language)
            .await?;
        Self::join_all(server, created).await
    }

    /// [`Meeting::set_up`] for a meeting that runs the whole workshop, in
    /// Polish: it starts at the collect stage.
    pub async fn set_up_workshop(server: &Server, title: &str) -> anyhow::Result<Self> {
        let created = server
            .create_workshop(title, "Ewa Łukasiewicz", "pl")
            .await?;
        Self::join_all(server, created).await
    }

    /// Moves the meeting to `stage` as its moderator, checked to be 200.
    pub async fn stage(&self, server: &Server, stage: &str) -> anyhow::Result<()> {
        let (status, body) = server
            .post_json(
                &format!("/api/meetings/{}/stage", self.id()),
                Some(self.moderator_token()),
                &serde_json::json!({ "stage": stage }),
            )
            .await?;
        anyhow::ensure!(
            status == 200 && body["stage"] == stage,
            "moving to {stage} answered {status}: {body}"
        );
        Ok(())
    }

    /// Joins one member per role to a meeting just created.
    async fn join_all(server: &Server, created: MeetingCreated) -> anyhow::Result<Self> {
        let editor = server
            .join(
                created.id,
                &created.participant_invite,
                "Jan Brzęczyszczykiewicz",
            )
            .await?;
        server
            .grant_editor(created.id, &created.moderator_token, editor.user_id)
            .await?;
        let participant = server
            .join(created.id, &created.participant_invite, "Zbigniew Ćwiek")
            .await?;
        let observer = server
            .join(created.id, &created.observer_invite, "Małgorzata Żółć")
            .await?;
        Ok(Meeting {
            created,
            editor,
            participant,
            observer,
        })
    }

    /// The meeting's id.
    pub fn id(&self) -> Uuid {
        self.created.id
    }

    /// The moderator's token.
    pub fn moderator_token(&self) -> &str {
        &self.created.moderator_token
    }
}
