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

/// A meeting's API paths called through a server: `path` is what follows
/// `/api/meetings/{id}`.
pub struct MeetingApi<'a> {
    server: &'a Server,
    meeting: Uuid,
}

impl Meeting {
    /// This meeting's API on `server`.
    pub fn api<'a>(&self, server: &'a Server) -> MeetingApi<'a> {
        MeetingApi {
            server,
            meeting: self.id(),
        }
    }
}

impl MeetingApi<'_> {
    fn path(&self, path: &str) -> String {
        format!("/api/meetings/{}{path}", self.meeting)
    }

    /// `POST path` with a JSON body as `token`; answers status and body.
    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        self.server
            .post_json(&self.path(path), Some(token), &body)
            .await
    }

    /// [`MeetingApi::post`], checked to answer 2xx; answers the body.
    pub async fn ok(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let (status, answer) = self.post(path, token, body).await?;
        anyhow::ensure!(
            (200..300).contains(&status),
            "{path} answered {status}: {answer}"
        );
        Ok(answer)
    }

    /// `GET path` as `token`, checked to answer 200; answers the body.
    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<serde_json::Value> {
        let (status, answer) = self.server.get(&self.path(path), Some(token)).await?;
        anyhow::ensure!(status == 200, "{path} answered {status}: {answer}");
        Ok(answer)
    }
}
