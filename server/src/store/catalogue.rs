//! The workshop's working groups and their catalogue of elements, as
//! stored (schema version 8): groups and who is in them, elements with
//! where each came from, and which group shares which element. Nothing of
//! the catalogue is deleted; the database refuses it.

use uuid::Uuid;

use crate::store::error::WriteResult;
use crate::store::meetings::{parse_uuid, uuid_at};
use crate::store::sql::{Row, args};
use crate::store::txn::Txn;

/// A working group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// Its id.
    pub id: Uuid,
    /// A, B, C…: how the room and the record name it.
    pub label: String,
    /// Its name, as the moderator gave it.
    pub name: String,
    /// When it was made, ms since the epoch.
    pub created_at: i64,
}

/// One element of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementRecord {
    /// Its id.
    pub id: Uuid,
    /// The group that brought it.
    pub group_id: Uuid,
    /// Its number within its group, from 1 (A1, A2…).
    pub position: u32,
    /// Its words, as brought.
    pub text: String,
    /// Who entered it.
    pub author_id: Uuid,
    /// When, ms since the epoch.
    pub created_at: i64,
    /// The compound element it was split from, if any.
    pub split_from: Option<Uuid>,
    /// The element it was merged into as a duplicate, if any.
    pub merged_into: Option<Uuid>,
    /// Whether it is a value that the others rest on.
    pub value: bool,
    /// The value it is nested under, if any.
    pub under_value: Option<Uuid>,
}

/// A group's mark that it shares an element (another group's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    /// The element.
    pub element_id: Uuid,
    /// The group that shares it.
    pub group_id: Uuid,
    /// Who marked it for the group.
    pub marked_by: Uuid,
    /// When.
    pub marked_at: i64,
}

/// A meeting's whole catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueRecord {
    /// The groups, by label.
    pub groups: Vec<GroupRecord>,
    /// Who is in which group: (member, group).
    pub members: Vec<(Uuid, Uuid)>,
    /// The elements, by group and position.
    pub elements: Vec<ElementRecord>,
    /// The share marks.
    pub shares: Vec<ShareRecord>,
}

/// A nullable UUID column; a malformed one is an error, as `uuid_at`'s.
pub(super) fn optional_uuid_col(r: &Row<'_>, col: usize) -> WriteResult<Option<Uuid>> {
    r.get::<Option<String>>(col)?
        .map(|s| parse_uuid(s, col))
        .transpose()
}

/// Adds a group to a meeting.
pub fn insert_group(c: &Txn, meeting: Uuid, g: &GroupRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO groups (id, meeting_id, label, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        args![
            g.id.to_string(),
            meeting.to_string(),
            g.label,
            g.name,
            g.created_at
        ],
    )?;
    Ok(())
}

/// Puts a member in a group (out of any other of the meeting).
pub fn put_in_group(c: &Txn, meeting: Uuid, user: Uuid, group: Uuid) -> WriteResult<()> {
    c.execute(
        "INSERT INTO group_members (meeting_id, user_id, group_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (meeting_id, user_id) DO UPDATE SET group_id = excluded.group_id",
        args![meeting.to_string(), user.to_string(), group.to_string()],
    )?;
    Ok(())
}

/// Adds an element at the end of its group's list; answers its position.
pub fn insert_element(c: &Txn, meeting: Uuid, e: &ElementRecord) -> WriteResult<u32> {
    let position: u32 = c.query_one(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM elements WHERE group_id = ?1",
        args![e.group_id.to_string()],
        |r| r.get(0),
    )?;
    c.execute(
        "INSERT INTO elements (id, meeting_id, group_id, position, text, author_id, created_at, split_from, value, under_value)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        args![
            e.id.to_string(),
            meeting.to_string(),
            e.group_id.to_string(),
            position,
            e.text,
            e.author_id.to_string(),
            e.created_at,
            e.split_from.map(|u| u.to_string()),
            e.value,
            e.under_value.map(|u| u.to_string()),
        ],
    )?;
    Ok(position)
}

/// Links a duplicate to the element it is merged into; false if it was
/// merged already (a merge is for good) or is unknown.
pub fn merge_element(c: &Txn, duplicate: Uuid, into: Uuid) -> WriteResult<bool> {
    let changed = c.execute(
        "UPDATE elements SET merged_into = ?2 WHERE id = ?1 AND merged_into IS NULL",
        args![duplicate.to_string(), into.to_string()],
    )?;
    Ok(changed == 1)
}

/// Marks an element as a value, or not.
pub fn set_value(c: &Txn, element: Uuid, value: bool) -> WriteResult<()> {
    c.execute(
        "UPDATE elements SET value = ?2 WHERE id = ?1",
        args![element.to_string(), value],
    )?;
    Ok(())
}

/// Nests an element under a value, or takes it out (None).
pub fn nest_under(c: &Txn, element: Uuid, value: Option<Uuid>) -> WriteResult<()> {
    c.execute(
        "UPDATE elements SET under_value = ?2 WHERE id = ?1",
        args![element.to_string(), value.map(|u| u.to_string())],
    )?;
    Ok(())
}

/// Marks that `group` shares `element` (again: no change).
pub fn mark_share(c: &Txn, s: &ShareRecord) -> WriteResult<()> {
    c.execute(
        "INSERT INTO element_shares (element_id, group_id, marked_by, marked_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (element_id, group_id) DO NOTHING",
        args![
            s.element_id.to_string(),
            s.group_id.to_string(),
            s.marked_by.to_string(),
            s.marked_at
        ],
    )?;
    Ok(())
}

/// Takes a group's mark back.
pub fn unmark_share(c: &Txn, element: Uuid, group: Uuid) -> WriteResult<()> {
    c.execute(
        "DELETE FROM element_shares WHERE element_id = ?1 AND group_id = ?2",
        args![element.to_string(), group.to_string()],
    )?;
    Ok(())
}

/// The group a member is in, if any.
pub fn group_of(c: &Txn, meeting: Uuid, user: Uuid) -> WriteResult<Option<Uuid>> {
    c.query_opt(
        "SELECT group_id FROM group_members WHERE meeting_id = ?1 AND user_id = ?2",
        args![meeting.to_string(), user.to_string()],
        |r| uuid_at(r, 0),
    )
}

/// A meeting's whole catalogue.
pub fn load_catalogue(c: &Txn, meeting: Uuid) -> WriteResult<CatalogueRecord> {
    let key = meeting.to_string();
    let groups = c.query(
        "SELECT id, label, name, created_at FROM groups WHERE meeting_id = ?1 ORDER BY label",
        args![key],
        |r| {
            Ok(GroupRecord {
                id: uuid_at(r, 0)?,
                label: r.get(1)?,
                name: r.get(2)?,
                created_at: r.get(3)?,
            })
        },
    )?;
    let members = c.query(
        "SELECT user_id, group_id FROM group_members WHERE meeting_id = ?1 ORDER BY user_id",
        args![key],
        |r| Ok((uuid_at(r, 0)?, uuid_at(r, 1)?)),
    )?;
    let elements = c.query(
        "SELECT e.id, e.group_id, e.position, e.text, e.author_id, e.created_at, e.split_from,
                    e.merged_into, e.value, e.under_value
             FROM elements e JOIN groups g ON g.id = e.group_id
             WHERE e.meeting_id = ?1 ORDER BY g.label, e.position",
        args![key],
        |r| {
            Ok(ElementRecord {
                id: uuid_at(r, 0)?,
                group_id: uuid_at(r, 1)?,
                position: r.get(2)?,
                text: r.get(3)?,
                author_id: uuid_at(r, 4)?,
                created_at: r.get(5)?,
                split_from: optional_uuid_col(r, 6)?,
                merged_into: optional_uuid_col(r, 7)?,
                value: r.get(8)?,
                under_value: optional_uuid_col(r, 9)?,
            })
        },
    )?;
    let shares = c.query(
        "SELECT s.element_id, s.group_id, s.marked_by, s.marked_at
             FROM element_shares s JOIN elements e ON e.id = s.element_id
             WHERE e.meeting_id = ?1 ORDER BY s.element_id, s.group_id",
        args![key],
        |r| {
            Ok(ShareRecord {
                element_id: uuid_at(r, 0)?,
                group_id: uuid_at(r, 1)?,
                marked_by: uuid_at(r, 2)?,
                marked_at: r.get(3)?,
            })
        },
    )?;
    Ok(CatalogueRecord {
        groups,
        members,
        elements,
        shares,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schema;
    use rusqlite::Connection;

    fn open(path: &std::path::Path) -> Connection {
        let mut c = Connection::open(path).unwrap();
        schema::migrate(&mut c).unwrap();
        c
    }

    fn meeting(c: &Connection) -> Uuid {
        let id = Uuid::from_u128(1);
        c.execute(
            "INSERT INTO meetings (id, title, created_at, participant_invite_hash, observer_invite_hash) VALUES (?1, 'Misja Krakowa', 0, x'00', x'01')",
            [id.to_string()],
        )
        .unwrap();
        id
    }

    fn group(c: &Connection, m: Uuid, n: u128, label: &str) -> Uuid {
        let g = GroupRecord {
            id: Uuid::from_u128(100 + n),
            label: label.into(),
            name: format!("Grupa {label}"),
            created_at: n as i64,
        };
        insert_group(&Txn::Sqlite(c), m, &g).unwrap();
        g.id
    }

    fn element(group_id: Uuid, n: u128, text: &str) -> ElementRecord {
        ElementRecord {
            id: Uuid::from_u128(1000 + n),
            group_id,
            position: 0,
            text: text.into(),
            author_id: Uuid::from_u128(7),
            created_at: n as i64,
            split_from: None,
            merged_into: None,
            value: false,
            under_value: None,
        }
    }

    fn refusal(e: rusqlite::Error) -> String {
        match e {
            rusqlite::Error::SqliteFailure(_, Some(message)) => message,
            other => panic!("not a refusal of the database: {other:?}"),
        }
    }

    #[test]
    fn elements_are_numbered_per_group_and_nothing_of_the_catalogue_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(&dir.path().join("s.sqlite3"));
        let m = meeting(&c);
        let (a, b) = (group(&c, m, 1, "A"), group(&c, m, 2, "B"));
        assert_eq!(
            insert_element(&Txn::Sqlite(&c), m, &element(a, 1, "współodpowiedzialność")).unwrap(),
            1
        );
        assert_eq!(
            insert_element(
                &Txn::Sqlite(&c),
                m,
                &element(b, 2, "współpraca dla biznesu")
            )
            .unwrap(),
            1
        );
        assert_eq!(
            insert_element(
                &Txn::Sqlite(&c),
                m,
                &element(a, 3, "powiązanie biznesu z nauką")
            )
            .unwrap(),
            2
        );
        let id = Uuid::from_u128(1001).to_string();
        let deleted = c
            .execute("DELETE FROM elements WHERE id = ?1", [&id])
            .unwrap_err();
        assert_eq!(refusal(deleted), "elements are never deleted");
        let reworded = c
            .execute("UPDATE elements SET text = 'inne' WHERE id = ?1", [&id])
            .unwrap_err();
        assert_eq!(
            refusal(reworded),
            "an element keeps its words and where it came from"
        );
        let moved = c
            .execute(
                "UPDATE elements SET group_id = ?2 WHERE id = ?1",
                [&id, &b.to_string()],
            )
            .unwrap_err();
        assert_eq!(
            refusal(moved),
            "an element keeps its words and where it came from"
        );
        let gone = c
            .execute("DELETE FROM groups WHERE id = ?1", [a.to_string()])
            .unwrap_err();
        assert_eq!(refusal(gone), "groups are never deleted");
    }

    #[test]
    fn a_merged_element_keeps_its_words_group_and_link_across_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let (m, a, b) = {
            let c = open(&path);
            let m = meeting(&c);
            let (a, b) = (group(&c, m, 1, "A"), group(&c, m, 2, "B"));
            insert_element(
                &Txn::Sqlite(&c),
                m,
                &element(a, 1, "harmonizowanie, wspólne działanie"),
            )
            .unwrap();
            insert_element(&Txn::Sqlite(&c), m, &element(b, 2, "wspólne działanie")).unwrap();
            let (kept, dup) = (Uuid::from_u128(1001), Uuid::from_u128(1002));
            assert!(merge_element(&Txn::Sqlite(&c), dup, kept).unwrap());
            assert!(
                !merge_element(&Txn::Sqlite(&c), dup, kept).unwrap(),
                "merged once only"
            );
            let remerged = c
                .execute(
                    "UPDATE elements SET merged_into = NULL WHERE id = ?1",
                    [dup.to_string()],
                )
                .unwrap_err();
            assert_eq!(refusal(remerged), "a merged element stays merged");
            set_value(&Txn::Sqlite(&c), kept, true).unwrap();
            mark_share(
                &Txn::Sqlite(&c),
                &ShareRecord {
                    element_id: kept,
                    group_id: b,
                    marked_by: Uuid::from_u128(8),
                    marked_at: 5,
                },
            )
            .unwrap();
            put_in_group(&Txn::Sqlite(&c), m, Uuid::from_u128(8), a).unwrap();
            put_in_group(&Txn::Sqlite(&c), m, Uuid::from_u128(8), b).unwrap();
            (m, a, b)
        };
        let c = open(&path);
        let catalogue = load_catalogue(&Txn::Sqlite(&c), m).unwrap();
        assert_eq!(
            catalogue
                .groups
                .iter()
                .map(|g| g.label.as_str())
                .collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(catalogue.members, [(Uuid::from_u128(8), b)]);
        let dup = &catalogue.elements[1];
        assert_eq!(
            (
                dup.text.as_str(),
                dup.group_id,
                dup.position,
                dup.merged_into
            ),
            ("wspólne działanie", b, 1, Some(Uuid::from_u128(1001)))
        );
        assert!(catalogue.elements[0].value);
        assert_eq!(catalogue.elements[0].group_id, a);
        assert_eq!(catalogue.shares.len(), 1);
        unmark_share(&Txn::Sqlite(&c), Uuid::from_u128(1001), b).unwrap();
        assert!(
            load_catalogue(&Txn::Sqlite(&c), m)
                .unwrap()
                .shares
                .is_empty()
        );
        assert_eq!(
            group_of(&Txn::Sqlite(&c), m, Uuid::from_u128(8)).unwrap(),
            Some(b)
        );
    }
}
