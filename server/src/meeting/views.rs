//! Read views of a meeting's record: amendments with their current text,
//! a clause's change history and authors, versions and their differences,
//! and the data of the meeting report.

use std::collections::HashMap;
use std::sync::Arc;

use draftroom_shared::Language;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use yrs::{Doc, TextRef, Transact};

use crate::meeting::catalogue::common_ground;
use crate::meeting::consensus;
use crate::meeting::report::words::words;
use crate::meeting::report::{AmendmentLine, AuthorShare, ClauseLine, Report, Span, VersionLine};
use crate::meeting::report::{gather, markdown};
use crate::meeting::{Amendment, Meeting, MeetingError, MeetingState, NOBODY, Status, Version};
use crate::room::{draft, ydoc};
use crate::store;

/// Who wrote which characters of `text`, by the client-ID bindings.
fn spans(doc: &Doc, text: &TextRef, st: &MeetingState) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut pos = 0;
    for (client, run) in draft::attribution(doc, text) {
        // A copy of a character of nobody's is bound to NOBODY: still nobody's.
        let user = st.bindings.get(&client).copied().filter(|u| *u != NOBODY);
        let len = draft::utf16_len(&run);
        match out.last_mut() {
            Some(last) if last.user_id == user => {
                last.length += len;
                last.text.push_str(&run);
            }
            _ => {
                let member = user.and_then(|u| st.members.get(&u));
                out.push(Span {
                    user_id: user,
                    name: member.map_or_else(|| "unknown".to_owned(), |m| m.name.clone()),
                    colour: member.map_or_else(|| "#999999".to_owned(), |m| m.colour.clone()),
                    start: pos,
                    length: len,
                    text: run,
                });
            }
        }
        pos += len;
    }
    out
}

/// Each clause's id, text and per-member share of its characters.
fn clause_lines(doc: &Doc, st: &MeetingState) -> Vec<ClauseLine> {
    let texts: Vec<(String, TextRef)> = draft::clauses(&doc.transact());
    texts
        .into_iter()
        .map(|(id, text)| {
            let spans = spans(doc, &text, st);
            let mut authors: Vec<AuthorShare> = Vec::new();
            for s in &spans {
                // Characters as a reader counts them, not UTF-16 units.
                let n = s.text.chars().count() as u32;
                match authors.iter_mut().find(|a| a.user_id == s.user_id) {
                    Some(a) => a.characters += n,
                    None => authors.push(AuthorShare {
                        user_id: s.user_id,
                        name: s.name.clone(),
                        characters: n,
                    }),
                }
            }
            authors.sort_by_key(|a| std::cmp::Reverse(a.characters));
            let text = spans.iter().map(|s| s.text.as_str()).collect();
            ClauseLine {
                id,
                text,
                authors,
                spans,
            }
        })
        .collect()
}

/// A document holding a stored version's state.
fn doc_from_state(state: &[u8]) -> Result<Doc, MeetingError> {
    ydoc::holding(None, state).ok_or_else(|| {
        tracing::error!("a stored version does not decode");
        MeetingError::damaged("the stored version is damaged")
    })
}

/// One version in full.
#[derive(Debug, Serialize)]
pub struct VersionView {
    /// Its number.
    pub version: u32,
    /// When it was frozen.
    pub created_at: i64,
    /// Who froze it.
    pub frozen_by: Uuid,
    /// Their name.
    pub frozen_by_name: String,
    /// SHA-256 of the text.
    pub sha256: String,
    /// The agreed text.
    pub text: String,
    /// Its clauses and who wrote them, as they were then.
    pub clauses: Vec<ClauseLine>,
    /// The moderator's written reason for freezing without the room's
    /// consent, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl VersionView {
    /// The version as Markdown, in `language`: the meeting's title, when
    /// and by whom it was frozen, its clauses numbered, and its text's
    /// SHA-256.
    pub fn markdown(&self, title: &str, language: Language) -> String {
        let w = words(language);
        let intro = w.version_intro(self.version, self.created_at, &self.frozen_by_name);
        markdown::version(
            title,
            &intro,
            &self.clauses,
            &w.version_sha256(&self.sha256),
        )
    }
}

fn version_line(v: &Version, st: &MeetingState) -> VersionLine {
    VersionLine {
        version: v.number,
        created_at: v.created_at,
        frozen_by: v.frozen_by,
        frozen_by_name: st.name_of(v.frozen_by),
        sha256: v.sha256.clone(),
    }
}

/// Word-level changes from `a` to `b`: `(op, text)` runs.
pub(crate) fn word_diff(a: &str, b: &str) -> Vec<(&'static str, String)> {
    let diff = similar::TextDiff::from_words(a, b);
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            similar::ChangeTag::Equal => "equal",
            similar::ChangeTag::Delete => "delete",
            similar::ChangeTag::Insert => "insert",
        };
        match out.last_mut() {
            Some((last, text)) if *last == op => text.push_str(change.value()),
            _ => out.push((op, change.value().to_owned())),
        }
    }
    out
}

impl Meeting {
    /// An amendment's wording: its room's live text while it is open, the
    /// text it was decided with after.
    async fn amendment_wording(self: &Arc<Self>, a: &Amendment) -> Result<String, MeetingError> {
        if a.status == Status::Open {
            Ok(self.amendment_room(a.id).await?.1)
        } else {
            Ok(a.text.clone())
        }
    }

    /// Every amendment with its current text.
    pub async fn amendments_view(self: &Arc<Self>) -> Result<Value, MeetingError> {
        let list = self.state().amendments.clone();
        let mut out = Vec::with_capacity(list.len());
        for a in list {
            let text = self.amendment_wording(&a).await?;
            let st = self.state();
            out.push(json!({
                "id": a.id,
                "clause_id": a.clause_id,
                "author_id": a.author,
                "author_name": st.name_of(a.author),
                "status": a.status.as_str(),
                "supporters": a.supporters,
                "created_at": a.created_at,
                "decided_at": a.decided_at,
                "decided_by": a.decided_by,
                "text": text,
                "base_text": a.base,
            }));
        }
        Ok(Value::Array(out))
    }

    /// The accepted changes to one clause, oldest first.
    pub async fn clause_history(self: &Arc<Self>, clause: &str) -> Result<Value, MeetingError> {
        let id = self.id;
        let key = clause.to_owned();
        let entries = self
            .store()
            .call(move |c| store::clause_journal(c, id, &key))
            .await?;
        if entries.is_empty() {
            let draft = self.hold_draft().await?;
            if draft::clause_text(draft.room.doc().doc(), clause).is_none() {
                return Err(MeetingError::not_found("no such clause in this meeting"));
            }
        }
        let st = self.state();
        Ok(Value::Array(
            entries
                .into_iter()
                .map(|e| {
                    let mut entry = json!({
                        "time": e.time,
                        "user_id": e.user_id,
                        "user_name": st.name_of(e.user_id),
                        "room": e.room,
                        "inserted": e.inserted,
                        "deleted": e.deleted,
                        "accepted_by": e.accepted_by,
                        "accepted_by_name": e.accepted_by.map(|u| st.name_of(u)),
                        "amendment_id": e.amendment_id,
                    });
                    if let Some((from, to)) = e.moved {
                        entry["moved"] = json!({ "from": from, "to": to });
                    }
                    entry
                })
                .collect(),
        ))
    }

    /// Who wrote which characters of a clause's current text.
    pub async fn clause_authors(self: &Arc<Self>, clause: &str) -> Result<Value, MeetingError> {
        let draft = self.hold_draft().await?;
        let doc = draft.room.doc();
        let text = draft::clauses(&doc.doc().transact())
            .into_iter()
            .find(|(id, _)| id == clause)
            .map(|(_, t)| t)
            .ok_or_else(|| MeetingError::not_found("no such clause in the draft"))?;
        let st = self.state();
        let spans = spans(doc.doc(), &text, &st);
        let full: String = spans.iter().map(|s| s.text.as_str()).collect();
        Ok(json!({ "clause_id": clause, "text": full, "spans": spans }))
    }

    /// The workshop's catalogue: groups (with their members), elements
    /// (numbered per group, with what each was merged into or split from),
    /// share marks, and the common ground with where each element came from.
    pub async fn catalogue_view(self: &Arc<Self>) -> Result<Value, MeetingError> {
        let id = self.id;
        let (c, links) = self
            .store()
            .call(move |conn| {
                Ok((
                    store::load_catalogue(conn, id)?,
                    store::load_links(conn, id)?,
                ))
            })
            .await?;
        let ground = common_ground(&c);
        let carried_by = |element: Uuid| {
            links
                .iter()
                .filter(|l| l.element_id == element)
                .map(|l| l.clause_id)
                .collect::<Vec<_>>()
        };
        let label: HashMap<Uuid, &str> =
            c.groups.iter().map(|g| (g.id, g.label.as_str())).collect();
        let st = self.state();
        Ok(json!({
            "groups": c.groups.iter().map(|g| json!({
                "id": g.id,
                "label": g.label,
                "name": g.name,
                "members": c.members.iter().filter(|(_, gid)| *gid == g.id).map(|(u, _)| json!({
                    "user_id": u, "name": st.name_of(*u),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "elements": c.elements.iter().map(|e| json!({
                "id": e.id,
                "group_id": e.group_id,
                "name": format!("{}{}", label.get(&e.group_id).copied().unwrap_or("?"), e.position),
                "text": e.text,
                "author_id": e.author_id,
                "created_at": e.created_at,
                "split_from": e.split_from,
                "merged_into": e.merged_into,
                "value": e.value,
                "under_value": e.under_value,
                "shared_by": c.shares.iter().filter(|s| s.element_id == e.id).map(|s| s.group_id).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "common_ground": ground.iter().map(|e| json!({
                "id": e.id, "text": e.text, "value": e.value, "sources": e.sources,
                "clauses": carried_by(e.id),
            })).collect::<Vec<_>>(),
            "links": links.iter().map(|l| json!({
                "clause_id": l.clause_id, "element_id": l.element_id,
                "linked_by": l.linked_by, "linked_at": l.linked_at,
            })).collect::<Vec<_>>(),
        }))
    }

    /// Consensus as anyone may read it: the stage, each clause's signals
    /// on its current wording with their tally, the checks (with what a
    /// hidden one keeps back), and whether the current text has the room's
    /// consent.
    pub async fn consensus_view(self: &Arc<Self>) -> Result<Value, MeetingError> {
        let method = self.method().await?;
        let draft = self.hold_draft().await?;
        let (clauses, text) = {
            let doc = draft.room.doc();
            (draft::clause_texts(doc.doc()), draft::draft_text(doc.doc()))
        };
        let sha256 = crate::secrets::sha256_hex(&text);
        let latest = consensus::latest_signals(&method.signals);
        let st = self.state();
        let clauses: Vec<Value> = clauses
            .iter()
            .map(|(id, text)| {
                let sha = crate::secrets::sha256_hex(text);
                let standing = id
                    .parse::<Uuid>()
                    .map(|clause| consensus::standing(&latest, clause, &sha))
                    .unwrap_or_default();
                json!({
                    "clause_id": id,
                    "sha256": sha,
                    "tally": standing.0,
                    "signals": standing.1.iter().map(|s| consensus::signal_view(s, &st.members)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let consent = consensus::consent(&method.checks, &sha256);
        Ok(json!({
            "stage": st.stage,
            "workshop": st.workshop,
            "sha256": sha256,
            "clauses": clauses,
            "checks": method.checks.iter().map(|k| consensus::check_view(k, &st.members)).collect::<Vec<_>>(),
            "consent": consent.as_str(),
        }))
    }

    /// The versions, oldest first.
    pub fn versions_view(self: &Arc<Self>) -> Vec<VersionLine> {
        let st = self.state();
        st.versions.iter().map(|v| version_line(v, &st)).collect()
    }

    /// One version in full, its attribution rebuilt from its stored state.
    pub async fn version(self: &Arc<Self>, number: u32) -> Result<VersionView, MeetingError> {
        let id = self.id;
        let record = self
            .store()
            .call(move |c| store::load_version(c, id, number))
            .await?
            .ok_or_else(|| MeetingError::not_found(format!("no version {number}")))?;
        let doc = doc_from_state(&record.state)?;
        let st = self.state();
        Ok(VersionView {
            version: record.number,
            created_at: record.created_at,
            frozen_by: record.frozen_by,
            frozen_by_name: st.name_of(record.frozen_by),
            sha256: record.sha256,
            text: record.text,
            clauses: clause_lines(&doc, &st),
            reason: record.reason,
        })
    }

    /// Word-level differences between two versions.
    pub fn version_diff(self: &Arc<Self>, a: u32, b: u32) -> Result<Value, MeetingError> {
        let st = self.state();
        let text = |n: u32| {
            st.versions
                .iter()
                .find(|v| v.number == n)
                .map(|v| v.text.clone())
                .ok_or_else(|| MeetingError::not_found(format!("no version {n}")))
        };
        let (ta, tb) = (text(a)?, text(b)?);
        let changes: Vec<Value> = word_diff(&ta, &tb)
            .into_iter()
            .map(|(op, text)| json!({ "op": op, "text": text }))
            .collect();
        Ok(json!({ "from": a, "to": b, "changes": changes }))
    }

    /// Everything the meeting report shows.
    pub async fn report(self: &Arc<Self>) -> Result<Report, MeetingError> {
        let latest = self.state().versions.last().map(|v| v.number);
        let (agreed, clauses) = match latest {
            Some(n) => {
                let v = self.version(n).await?;
                (Some((v.version, v.created_at, v.text)), v.clauses)
            }
            None => {
                let draft = self.hold_draft().await?;
                let doc = draft.room.doc();
                let st = self.state();
                (None, clause_lines(doc.doc(), &st))
            }
        };
        let id = self.id;
        let (catalogue, method) = self
            .store()
            .call(move |c| Ok((store::load_catalogue(c, id)?, store::load_method(c, id)?)))
            .await?;
        let amendments = self.state().amendments.clone();
        let mut lines = Vec::with_capacity(amendments.len());
        for a in amendments {
            let text = self.amendment_wording(&a).await?;
            let st = self.state();
            lines.push(AmendmentLine {
                clause: clauses
                    .iter()
                    .position(|c| c.id == a.clause_id)
                    .map(|i| i + 1),
                author: st.name_of(a.author),
                supporters: a.supporters.iter().map(|u| st.name_of(*u)).collect(),
                status: a.status.as_str(),
                text,
                decided_at: a.decided_at,
            });
        }
        let st = self.state();
        let freeze_reason = latest.and_then(|_| st.versions.last()?.reason.clone());
        let method = gather::method_part(&catalogue, &method, &clauses, &st, freeze_reason);
        let mut members: Vec<_> = st.members.values().cloned().collect();
        members.sort_by_key(|m| m.joined_at);
        let roles: HashMap<Uuid, &'static str> =
            members.iter().map(|m| (m.id, m.role.as_str())).collect();
        Ok(Report {
            title: st.title.clone(),
            created_at: st.created_at,
            members: members
                .iter()
                .map(|m| (m.name.clone(), roles[&m.id]))
                .collect(),
            frozen: st.frozen(),
            agreed,
            clauses,
            amendments: lines,
            versions: st.versions.iter().map(|v| version_line(v, &st)).collect(),
            method,
        })
    }
}
