//! Freezing the agreed text as an immutable version, and reopening the
//! draft for the next round. Under the draft's lock: no write lands between
//! the text taken and the freeze, and none after it. A meeting that runs
//! the whole workshop freezes a text the room consented to (a closed
//! check on it with no blocks) or, failing that, with the moderator's
//! written reason, kept with the version.

use std::sync::Arc;

use draftroom_shared::Stage;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Transact};

use crate::clock::now_ms;
use crate::meeting::consensus::{self, MAX_REASON};
use crate::meeting::input::clean_text;
use crate::meeting::rights::Command;
use crate::meeting::shown;
use crate::meeting::{Meeting, MeetingError, Member, Version};
use crate::room::draft;
use crate::secrets;
use crate::store::{self, StageMoveRecord, VersionRecord};

impl Meeting {
    /// Freezes the draft as the next version; `reason` is the moderator's
    /// written reason for freezing without the room's consent.
    pub async fn freeze(
        self: &Arc<Self>,
        by: &Member,
        reason: Option<&str>,
    ) -> Result<Version, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::Freeze).await?;
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| clean_text("reason", r, MAX_REASON))
            .transpose()?;
        let checks = self.method().await?.checks;
        let draft = self.hold_draft().await?;
        // Under the draft's lock: no write lands between the text taken
        // and the freeze, and none after it.
        let (record, from) = {
            let doc = draft.room.doc();
            let mut st = self.state();
            let text = draft::draft_text(doc.doc());
            let sha256 = secrets::sha256_hex(&text);
            if st.workshop
                && reason.is_none()
                && let Some(refusal) = consensus::consent(&checks, &sha256).refusal()
            {
                return Err(refusal);
            }
            let record = VersionRecord {
                number: st.versions.len() as u32 + 1,
                created_at: now_ms(),
                frozen_by: by.id,
                sha256,
                text,
                snapshot: doc.doc().transact().snapshot().encode_v1(),
                state: draft::full_state(doc.doc()),
                reason,
            };
            let from = st.stage;
            st.stage = Stage::Frozen;
            (record, from)
        };
        let moved = StageMoveRecord {
            stage: Stage::Frozen.as_str().to_owned(),
            moved_at: record.created_at,
            moved_by: by.id,
            draft_text: record.text.clone(),
        };
        let version = Version {
            number: record.number,
            created_at: record.created_at,
            frozen_by: record.frozen_by,
            sha256: record.sha256.clone(),
            text: record.text.clone(),
            reason: record.reason.clone(),
        };
        // A check still open when the text is frozen (over it, with a
        // reason) closes with the freeze: nobody answers it any more.
        let open_check = checks
            .iter()
            .find(|k| k.closed_at.is_none())
            .map(|k| k.number);
        let (id, at, who) = (self.id, record.created_at, by.id);
        if let Err(e) = self
            .store()
            .call(move |c| {
                store::insert_version(c, id, &record)?;
                if let Some(n) = open_check {
                    store::close_check(c, id, n, at, who)?;
                }
                store::move_stage(c, id, &moved)
            })
            .await
        {
            self.state().stage = from;
            return Err(e.into());
        }
        let seq = {
            let mut st = self.state();
            st.versions.push(version.clone());
            self.server_write(|txn| {
                shown::show_version(txn, &version);
                shown::show_phase(txn, true);
                shown::show_stage(txn, Stage::Frozen, st.workshop);
            })
        };
        self.meeting_durable(seq).await;
        if open_check.is_some() {
            self.show_method().await?;
        }
        tracing::info!(meeting = %self.id, version = version.number, "draft frozen");
        Ok(version)
    }

    /// Reopens the draft for the next round; versions stay as they are.
    pub async fn reopen(self: &Arc<Self>, by: &Member) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::Reopen).await?;
        let moved = StageMoveRecord {
            stage: Stage::Amend.as_str().to_owned(),
            moved_at: now_ms(),
            moved_by: by.id,
            draft_text: self
                .state()
                .versions
                .last()
                .map(|v| v.text.clone())
                .unwrap_or_default(),
        };
        let id = self.id;
        self.store()
            .call(move |c| store::move_stage(c, id, &moved))
            .await?;
        let seq = {
            let mut st = self.state();
            st.stage = Stage::Amend;
            self.server_write(|txn| {
                shown::show_phase(txn, false);
                shown::show_stage(txn, Stage::Amend, st.workshop);
            })
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, "draft reopened");
        Ok(())
    }
}
