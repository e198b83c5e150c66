//! The working groups' commands: the moderator makes groups and puts
//! participants in them (a participant may also join one); each group
//! adds its elements to its own list and marks which elements of others
//! it shares. Participants act only for their own group; the moderator,
//! who is in none, for any. The moderator then tends the catalogue:
//! merges duplicates, splits compound elements, marks the values and nests
//! elements under them; nothing is deleted, and an element keeps its words
//! and its group. Each command is durable before it answers.

use std::sync::Arc;

use draftroom_shared::Role;
use uuid::Uuid;

use crate::clock::now_ms;
use crate::meeting::input::clean_text;
use crate::meeting::rights::Command;
use crate::meeting::shown;
use crate::meeting::{Meeting, MeetingError, Member};
use crate::store::{self, CatalogueRecord, ElementRecord, GroupRecord, ShareRecord};

/// Longest group name, in characters.
const MAX_GROUP_NAME: usize = 80;
/// Longest element, in characters: a short phrase.
const MAX_ELEMENT: usize = 200;
/// Most elements one group brings, so that the lists stay comparable.
pub(crate) const MAX_ELEMENTS_PER_GROUP: usize = 12;
/// Groups are labelled A to Z.
const LABELS: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

impl Meeting {
    /// Shows the stored catalogue in the `meeting` room, and waits until
    /// that is durable: every command below ends with it.
    async fn show_catalogue(&self) -> Result<(), MeetingError> {
        let catalogue = self.catalogue().await?;
        let seq = self.server_write(|txn| shown::show_catalogue(txn, &catalogue));
        self.meeting_durable(seq).await;
        Ok(())
    }

    /// The stored catalogue.
    pub(crate) async fn catalogue(&self) -> Result<CatalogueRecord, MeetingError> {
        let id = self.id;
        Ok(self
            .store()
            .call(move |c| store::load_catalogue(c, id))
            .await?)
    }

    /// Makes the next working group (A, B, C…).
    pub async fn create_group(
        self: &Arc<Self>,
        by: &Member,
        name: &str,
    ) -> Result<GroupRecord, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::CreateGroup).await?;
        let name = clean_text("name", name, MAX_GROUP_NAME)?;
        let count = self.catalogue().await?.groups.len();
        let label = LABELS.get(count).ok_or_else(|| {
            MeetingError::conflict(format!("a meeting has at most {} groups", LABELS.len()))
        })?;
        let group = GroupRecord {
            id: Uuid::new_v4(),
            label: char::from(*label).to_string(),
            name,
            created_at: now_ms(),
        };
        let (meeting, stored) = (self.id, group.clone());
        self.store()
            .call(move |c| store::insert_group(c, meeting, &stored))
            .await?;
        tracing::info!(meeting = %self.id, group = %group.label, "working group made");
        self.show_catalogue().await?;
        Ok(group)
    }

    /// Puts `user` in `group` (the moderator), or `by` themselves (a
    /// participant or editor joining); out of any other group.
    pub async fn put_in_group(
        self: &Arc<Self>,
        by: &Member,
        group: Uuid,
        user: Option<Uuid>,
    ) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let (user, command) = match user {
            Some(user) if user != by.id => (user, Command::AssignGroup),
            _ => (by.id, Command::JoinGroup),
        };
        let _serial = self.admit(by.role, command).await?;
        let role = self
            .state()
            .members
            .get(&user)
            .map(|m| m.role)
            .ok_or_else(|| MeetingError::not_found("no such member in this meeting"))?;
        if !matches!(role, Role::Participant | Role::Editor) {
            return Err(MeetingError::conflict(
                "only participants and editors are in working groups",
            ));
        }
        if !self.catalogue().await?.groups.iter().any(|g| g.id == group) {
            return Err(MeetingError::not_found("no such group"));
        }
        let meeting = self.id;
        self.store()
            .call(move |c| store::put_in_group(c, meeting, user, group))
            .await?;
        self.show_catalogue().await
    }

    /// Adds an element at the end of a group's list: `by`'s own group's,
    /// or for the moderator the one named.
    pub async fn add_element(
        self: &Arc<Self>,
        by: &Member,
        text: &str,
        group: Option<Uuid>,
    ) -> Result<(ElementRecord, String), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::AddElement).await?;
        let text = clean_text("text", text, MAX_ELEMENT)?;
        let catalogue = self.catalogue().await?;
        let group = acting_group(by, group, &catalogue)?;
        let brought = catalogue
            .elements
            .iter()
            .filter(|e| e.group_id == group.id)
            .count();
        if brought >= MAX_ELEMENTS_PER_GROUP {
            return Err(MeetingError::conflict(format!(
                "group {} has brought {MAX_ELEMENTS_PER_GROUP} elements, the most a group brings",
                group.label
            )));
        }
        let mut element = ElementRecord {
            id: Uuid::new_v4(),
            group_id: group.id,
            position: 0,
            text,
            author_id: by.id,
            created_at: now_ms(),
            split_from: None,
            merged_into: None,
            value: false,
            under_value: None,
        };
        let (meeting, stored) = (self.id, element.clone());
        element.position = self
            .store()
            .call(move |c| store::insert_element(c, meeting, &stored))
            .await?;
        let name = format!("{}{}", group.label, element.position);
        tracing::info!(meeting = %self.id, element = %name, "element added");
        self.show_catalogue().await?;
        Ok((element, name))
    }

    /// Marks (or unmarks) that a group shares another group's element:
    /// `by`'s own group, or for the moderator the one named.
    pub async fn mark_share(
        self: &Arc<Self>,
        by: &Member,
        element: Uuid,
        group: Option<Uuid>,
        shared: bool,
    ) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::MarkShare).await?;
        let catalogue = self.catalogue().await?;
        let group = acting_group(by, group, &catalogue)?.id;
        let e = catalogue
            .elements
            .iter()
            .find(|e| e.id == element)
            .ok_or_else(|| MeetingError::not_found("no such element"))?;
        if e.group_id == group {
            return Err(MeetingError::conflict(
                "a group shares its own elements already; it marks those of the others",
            ));
        }
        let share = ShareRecord {
            element_id: element,
            group_id: group,
            marked_by: by.id,
            marked_at: now_ms(),
        };
        self.store()
            .call(move |c| {
                if shared {
                    store::mark_share(c, &share)
                } else {
                    store::unmark_share(c, share.element_id, share.group_id)
                }
            })
            .await?;
        self.show_catalogue().await
    }
}

impl Meeting {
    /// Links a duplicate to the element it repeats (for good): it keeps its
    /// words and group, and counts as the other for the common ground.
    pub async fn merge_elements(
        self: &Arc<Self>,
        by: &Member,
        duplicate: Uuid,
        into: Uuid,
    ) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::MergeElements).await?;
        let catalogue = self.catalogue().await?;
        let dup = element(&catalogue, duplicate)?;
        let target = element(&catalogue, into)?;
        if dup.id == target.id {
            return Err(MeetingError::conflict(
                "an element is not its own duplicate",
            ));
        }
        if dup.merged_into.is_some() {
            return Err(MeetingError::conflict("this element is merged already"));
        }
        if target.merged_into.is_some() {
            return Err(MeetingError::conflict(
                "merge into the element the other was merged into",
            ));
        }
        if split_parts(&catalogue, dup.id) > 0 || split_parts(&catalogue, target.id) > 0 {
            return Err(MeetingError::conflict(
                "a split element stands for nothing; merge its parts",
            ));
        }
        let merged = self
            .store()
            .call(move |c| store::merge_element(c, duplicate, into))
            .await?;
        if !merged {
            return Err(MeetingError::conflict("this element is merged already"));
        }
        self.show_catalogue().await
    }

    /// Splits a compound element into `parts`, new elements at the end of
    /// its group's list that name it; it stays as it was, standing for
    /// nothing itself.
    pub async fn split_element(
        self: &Arc<Self>,
        by: &Member,
        compound: Uuid,
        parts: &[String],
    ) -> Result<Vec<(ElementRecord, String)>, MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::SplitElement).await?;
        if !(2..=MAX_ELEMENTS_PER_GROUP).contains(&parts.len()) {
            return Err(MeetingError::invalid(format!(
                "a split makes 2 to {MAX_ELEMENTS_PER_GROUP} parts"
            )));
        }
        let parts = parts
            .iter()
            .map(|p| clean_text("each part", p, MAX_ELEMENT))
            .collect::<Result<Vec<_>, _>>()?;
        let catalogue = self.catalogue().await?;
        let whole = element(&catalogue, compound)?;
        if whole.merged_into.is_some() || split_parts(&catalogue, compound) > 0 {
            return Err(MeetingError::conflict(
                "this element was merged or split already",
            ));
        }
        let label = catalogue
            .groups
            .iter()
            .find(|g| g.id == whole.group_id)
            .map_or("?", |g| g.label.as_str())
            .to_owned();
        let now = now_ms();
        let records: Vec<ElementRecord> = parts
            .into_iter()
            .map(|text| ElementRecord {
                id: Uuid::new_v4(),
                group_id: whole.group_id,
                position: 0,
                text,
                author_id: by.id,
                created_at: now,
                split_from: Some(compound),
                merged_into: None,
                value: false,
                under_value: None,
            })
            .collect();
        let meeting = self.id;
        let stored = records.clone();
        let positions = self
            .store()
            .call(move |c| {
                stored
                    .iter()
                    .map(|e| store::insert_element(c, meeting, e))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        self.show_catalogue().await?;
        Ok(records
            .into_iter()
            .zip(positions)
            .map(|(mut e, position)| {
                e.position = position;
                (e, format!("{label}{position}"))
            })
            .collect())
    }

    /// Marks an element as a value (or not), and nests it under a value
    /// (`under`: Some(Some(value)) nests, Some(None) takes it out, None
    /// leaves it where it is).
    pub async fn mark_value(
        self: &Arc<Self>,
        by: &Member,
        id: Uuid,
        value: Option<bool>,
        under: Option<Option<Uuid>>,
    ) -> Result<(), MeetingError> {
        self.store().check_writable()?;
        let _serial = self.admit(by.role, Command::MarkValue).await?;
        let catalogue = self.catalogue().await?;
        let e = element(&catalogue, id)?;
        if let Some(Some(parent)) = under {
            let parent = element(&catalogue, parent)?;
            if parent.id == e.id || !parent.value {
                return Err(MeetingError::conflict(
                    "an element is nested under another element that is a value",
                ));
            }
        }
        if value == Some(false) && catalogue.elements.iter().any(|o| o.under_value == Some(id)) {
            return Err(MeetingError::conflict(
                "elements are nested under this value; take them out first",
            ));
        }
        self.store()
            .call(move |c| {
                if let Some(value) = value {
                    store::set_value(c, id, value)?;
                }
                if let Some(under) = under {
                    store::nest_under(c, id, under)?;
                }
                Ok(())
            })
            .await?;
        self.show_catalogue().await
    }
}

/// The element `id` of the catalogue; 404 if there is none.
fn element(catalogue: &CatalogueRecord, id: Uuid) -> Result<&ElementRecord, MeetingError> {
    catalogue
        .elements
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| MeetingError::not_found("no such element"))
}

/// How many parts the element was split into.
fn split_parts(catalogue: &CatalogueRecord, id: Uuid) -> usize {
    catalogue
        .elements
        .iter()
        .filter(|e| e.split_from == Some(id))
        .count()
}

/// The group `by` acts for: the moderator names one; anyone else acts for
/// the group they are in, and only for it.
fn acting_group<'c>(
    by: &Member,
    named: Option<Uuid>,
    catalogue: &'c CatalogueRecord,
) -> Result<&'c GroupRecord, MeetingError> {
    let find = |id: Uuid| {
        catalogue
            .groups
            .iter()
            .find(|g| g.id == id)
            .ok_or_else(|| MeetingError::not_found("no such group"))
    };
    if by.role == Role::Moderator {
        let id =
            named.ok_or_else(|| MeetingError::invalid("say for which group: {\"group_id\": …}"))?;
        return find(id);
    }
    let own = catalogue
        .members
        .iter()
        .find(|(user, _)| *user == by.id)
        .map(|(_, group)| *group)
        .ok_or_else(|| MeetingError::conflict("join a working group first"))?;
    match named {
        Some(id) if id != own => Err(MeetingError::forbidden(
            "participants act only for their own working group",
        )),
        _ => find(own),
    }
}
