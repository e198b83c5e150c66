//! The meeting's commands beyond joining (DESIGN.md, "External interface"):
//! amendments, freezing and versions, as thin calls that answer the status
//! and the JSON body, so a test can check refusals as readily as successes.

use crate::{Meeting, Server, YClient, rooms};
use serde_json::{Value, json};
use uuid::Uuid;

impl Server {
    /// Connects `token` to one room of a meeting and waits for its state.
    pub async fn connect_room(
        &self,
        meeting: Uuid,
        room: &str,
        token: &str,
    ) -> anyhow::Result<YClient> {
        let client = YClient::connect(&self.ws_url(meeting, room, token)).await?;
        client.wait_synced().await?;
        Ok(client)
    }

    /// The moderator writes `clauses` into the draft, each its own update;
    /// answers the moderator's client, an observer's client that has seen
    /// them all (so the server holds them), and the clauses' ids.
    pub async fn draft_with_clauses(
        &self,
        meeting: &Meeting,
        clauses: &[&str],
    ) -> anyhow::Result<(YClient, YClient, Vec<String>)> {
        let moderator = self
            .connect_room(meeting.id(), "draft", meeting.moderator_token())
            .await?;
        let ids = clauses
            .iter()
            .map(|text| moderator.add_clause(text))
            .collect();
        let observer = self
            .connect_room(meeting.id(), "draft", &meeting.observer.token)
            .await?;
        observer.wait_for_text(&clauses.join("\n\n")).await?;
        Ok((moderator, observer, ids))
    }

    /// The moderator's user id, read from the `meeting` room.
    pub async fn moderator_id(&self, meeting: &Meeting) -> anyhow::Result<String> {
        let room = self
            .connect_room(meeting.id(), "meeting", &meeting.observer.token)
            .await?;
        room.wait_until("a moderator among participants", crate::WAIT, |doc| {
            rooms::participants(doc)
                .values()
                .any(|p| p["role"] == "moderator")
        })
        .await?;
        let id = rooms::participants(room.doc())
            .into_iter()
            .find(|(_, p)| p["role"] == "moderator")
            .map(|(id, _)| id)
            .expect("checked above");
        Ok(id)
    }

    /// `POST /api/meetings/{id}/amendments` on clause `clause_id`.
    pub async fn open_amendment(
        &self,
        meeting: Uuid,
        token: &str,
        clause_id: &str,
    ) -> anyhow::Result<(u16, Value)> {
        self.post_json(
            &format!("/api/meetings/{meeting}/amendments"),
            Some(token),
            &json!({ "clause_id": clause_id }),
        )
        .await
    }

    /// Opens an amendment and checks the answer is 201; answers its id.
    pub async fn open_amendment_ok(
        &self,
        meeting: Uuid,
        token: &str,
        clause_id: &str,
    ) -> anyhow::Result<String> {
        let (status, body) = self.open_amendment(meeting, token, clause_id).await?;
        anyhow::ensure!(status == 201, "open amendment answered {status}: {body}");
        body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("open amendment answer without id: {body}"))
    }

    /// `POST /api/meetings/{id}/amendments/{aid}/{command}` with `{}`, where
    /// `command` is `support`, `accept` or `reject`.
    pub async fn amendment_command(
        &self,
        meeting: Uuid,
        amendment: &str,
        command: &str,
        token: &str,
    ) -> anyhow::Result<(u16, Value)> {
        self.post_json(
            &format!("/api/meetings/{meeting}/amendments/{amendment}/{command}"),
            Some(token),
            &json!({}),
        )
        .await
    }

    /// `GET /api/meetings/{id}/amendments` as `token`, checked to be 200;
    /// answers the entry of `amendment`.
    pub async fn amendment_entry(
        &self,
        meeting: Uuid,
        amendment: &str,
        token: &str,
    ) -> anyhow::Result<Value> {
        let (status, list) = self
            .get(&format!("/api/meetings/{meeting}/amendments"), Some(token))
            .await?;
        anyhow::ensure!(status == 200, "list amendments answered {status}: {list}");
        list.as_array()
            .and_then(|list| list.iter().find(|a| a["id"] == amendment))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("amendment {amendment} not listed in {list}"))
    }

    /// `POST /api/meetings/{id}/clauses/{clause}/move` with `{"to": to}`.
    pub async fn move_clause(
        &self,
        meeting: Uuid,
        clause: &str,
        to: u32,
        token: &str,
    ) -> anyhow::Result<(u16, Value)> {
        self.post_json(
            &format!("/api/meetings/{meeting}/clauses/{clause}/move"),
            Some(token),
            &json!({ "to": to }),
        )
        .await
    }

    /// `GET /api/meetings/{id}/clauses/{clause}/{what}` (`history` or
    /// `authors`) as `token`, checked to be 200.
    pub async fn clause_record(
        &self,
        meeting: Uuid,
        clause: &str,
        what: &str,
        token: &str,
    ) -> anyhow::Result<Value> {
        let (status, body) = self
            .get(
                &format!("/api/meetings/{meeting}/clauses/{clause}/{what}"),
                Some(token),
            )
            .await?;
        anyhow::ensure!(status == 200, "{what} answered {status}: {body}");
        Ok(body)
    }

    /// `POST /api/meetings/{id}/{command}` with `{}`, where `command` is
    /// `freeze` or `reopen`.
    pub async fn meeting_command(
        &self,
        meeting: Uuid,
        command: &str,
        token: &str,
    ) -> anyhow::Result<(u16, Value)> {
        self.post_json(
            &format!("/api/meetings/{meeting}/{command}"),
            Some(token),
            &json!({}),
        )
        .await
    }
}

/// Checks an error answer: the status and `{"error":{"code","message"}}`.
#[track_caller]
pub fn assert_error(what: &str, answer: &(u16, Value), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{what}: status, body {body}");
    assert_eq!(body["error"]["code"], code, "{what}: error code in {body}");
    assert!(
        body["error"]["message"].is_string(),
        "{what}: error message in {body}"
    );
}

/// Checks a command was refused for the meeting's stage: 409 `conflict`
/// with the stage the meeting is in.
#[track_caller]
pub fn assert_wrong_stage(what: &str, answer: &(u16, Value), stage: &str) {
    assert_error(what, answer, 409, "conflict");
    assert_eq!(
        answer.1["error"]["stage"], stage,
        "{what}: the stage in {}",
        answer.1
    );
}

/// Checks a permission-denied reason: `"{code}: {sentence}"` with this
/// code, the format a web app reads to say the refusal in its own words.
#[track_caller]
pub fn assert_refused(what: &str, reason: &str, code: draftroom_shared::RefusalCode) {
    assert!(
        reason.starts_with(&format!("{}: ", code.as_str())),
        "{what}: the reason {reason:?} does not start with the code {:?}",
        code.as_str()
    );
    assert_eq!(
        draftroom_shared::RefusalCode::of_reason(reason),
        Some(code),
        "{what}: {reason:?}"
    );
    let sentence = &reason[code.as_str().len() + 2..];
    assert!(
        !sentence.trim().is_empty(),
        "{what}: the reason {reason:?} has no sentence after its code"
    );
}

/// The length of `text` in UTF-16 code units, as the server counts offsets.
pub fn utf16_len(text: &str) -> u64 {
    text.encode_utf16().count() as u64
}
