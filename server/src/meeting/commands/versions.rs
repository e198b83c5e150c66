//! Freezing the agreed text as an immutable version, and reopening the
//! draft for the next round. Under the draft's lock: no write lands between
//! the text taken and the freeze, and none after it.

use std::sync::Arc;

use draftroom_shared::RoomName;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, Transact};

use crate::clock::now_ms;
use crate::meeting::rights::{self, Command};
use crate::meeting::shown;
use crate::meeting::{Meeting, MeetingError, Member, Version};
use crate::room::draft;
use crate::secrets;
use crate::store::{self, VersionRecord};

impl Meeting {
    /// Freezes the draft as the next version.
    pub async fn freeze(self: &Arc<Self>, by: &Member) -> Result<Version, MeetingError> {
        self.store().check_writable()?;
        rights::may(by.role, Command::Freeze)?;
        let _serial = self.commands.lock().await;
        let draft = self
            .hold_room(RoomName::Draft)
            .await
            .map_err(|e| e.refusal("room"))?;
        // Under the draft's lock: no write lands between the text taken
        // and the freeze, and none after it.
        let record = {
            let doc = draft.room.doc();
            let mut st = self.state();
            if st.frozen {
                return Err(MeetingError::conflict(format!(
                    "the draft is already frozen (version {})",
                    st.versions.len()
                )));
            }
            let text = draft::draft_text(doc.doc());
            let record = VersionRecord {
                number: st.versions.len() as u32 + 1,
                created_at: now_ms(),
                frozen_by: by.id,
                sha256: secrets::sha256_hex(&text),
                text,
                snapshot: doc.doc().transact().snapshot().encode_v1(),
                state: draft::full_state(doc.doc()),
            };
            st.frozen = true;
            record
        };
        let version = Version {
            number: record.number,
            created_at: record.created_at,
            frozen_by: record.frozen_by,
            sha256: record.sha256.clone(),
            text: record.text.clone(),
        };
        let id = self.id;
        if let Err(e) = self
            .store()
            .call(move |c| store::insert_version(c, id, &record))
            .await
        {
            self.state().frozen = false;
            return Err(e.into());
        }
        let seq = {
            let mut st = self.state();
            st.versions.push(version.clone());
            self.server_write(|txn| {
                shown::show_version(txn, &version);
                shown::show_phase(txn, true);
            })
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, version = version.number, "draft frozen");
        Ok(version)
    }

    /// Reopens the draft for the next round; versions stay as they are.
    pub async fn reopen(self: &Arc<Self>, by: &Member) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        rights::may(by.role, Command::Reopen)?;
        let _serial = self.commands.lock().await;
        if !self.state().frozen {
            return Err(MeetingError::conflict("the draft is not frozen"));
        }
        let id = self.id;
        self.store()
            .call(move |c| store::set_frozen(c, id, false))
            .await?;
        let seq = {
            let mut st = self.state();
            st.frozen = false;
            self.server_write(|txn| shown::show_phase(txn, false))
        };
        self.meeting_durable(seq).await;
        tracing::info!(meeting = %self.id, "draft reopened");
        Ok(())
    }
}
