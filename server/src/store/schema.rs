//! The store's schema and its migrations, by SQLite's `user_version`.

use rusqlite::Connection;

/// The schema this server writes.
pub(super) const VERSION: i64 = 9;

/// Each version's step, in order: step `i` brings the schema to `i + 1`.
const STEPS: [&str; VERSION as usize] = [V1, V2, V3, V4, V5, V6, V7, V8, V9];

/// Brings the schema up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    migrate_to(conn, VERSION)
}

/// Brings the schema up to `target`, one transaction per version.
fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), rusqlite::Error> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (done, step) in STEPS
        .iter()
        .enumerate()
        .take(target.max(0) as usize)
        .skip(version.max(0) as usize)
    {
        let txn = conn.transaction()?;
        txn.execute_batch(step)?;
        txn.pragma_update(None, "user_version", done as i64 + 1)?;
        txn.commit()?;
    }
    Ok(())
}

/// Meetings, members, client bindings, room logs.
const V1: &str = "
        CREATE TABLE IF NOT EXISTS meetings (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            participant_invite_hash BLOB NOT NULL,
            observer_invite_hash BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            colour TEXT NOT NULL,
            token_hash BLOB NOT NULL UNIQUE,
            joined_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS users_by_meeting ON users(meeting_id);
        CREATE TABLE IF NOT EXISTS client_bindings (
            meeting_id TEXT NOT NULL,
            client_id INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            PRIMARY KEY (meeting_id, client_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS room_updates (
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (room, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS room_snapshots (
            room TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE IF NOT EXISTS refused_clients (
            room TEXT NOT NULL,
            client_id INTEGER NOT NULL,
            PRIMARY KEY (room, client_id)
        ) WITHOUT ROWID;
        ";

/// Amendments and supports, frozen versions, the attribution journal.
const V2: &str = "
        ALTER TABLE meetings ADD COLUMN frozen INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE amendments (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            clause_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            decided_at INTEGER,
            decided_by TEXT,
            final_text TEXT
        );
        CREATE INDEX amendments_by_meeting ON amendments(meeting_id);
        CREATE TABLE supports (
            amendment_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (amendment_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE versions (
            meeting_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            frozen_by TEXT NOT NULL,
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            snapshot BLOB NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (meeting_id, number)
        ) WITHOUT ROWID;
        -- Versions never change: refuse it in the database too.
        CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
            BEGIN SELECT RAISE(ABORT, 'versions never change'); END;
        CREATE TRIGGER versions_are_kept BEFORE DELETE ON versions
            BEGIN SELECT RAISE(ABORT, 'versions are never deleted'); END;
        CREATE TABLE journal (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id TEXT NOT NULL,
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            time INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            clause_id TEXT,
            inserted INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            accepted_by TEXT,
            amendment_id TEXT
        );
        CREATE INDEX journal_by_clause ON journal(meeting_id, clause_id, id);
        CREATE TRIGGER journal_is_append_only BEFORE UPDATE ON journal
            BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
        CREATE TRIGGER journal_keeps_rows BEFORE DELETE ON journal
            BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
";

/// The row the writer rewrites to find out whether failing storage has come
/// back (see `store::probe`).
const V3: &str = "
        CREATE TABLE IF NOT EXISTS store_probe (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            pad BLOB NOT NULL
        );
";

/// Clause moves: the journal line of a move says from where to where, and
/// each draft room remembers where the words of its moved clauses went
/// (see `moved_texts`), one row per update that moved or carried words.
const V4: &str = "
        ALTER TABLE journal ADD COLUMN moved_from INTEGER;
        ALTER TABLE journal ADD COLUMN moved_to INTEGER;
        CREATE TABLE moved_texts (
            room TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (room, seq)
        ) WITHOUT ROWID;
";

/// An amendment's base: the clause's text when it was opened, so accepting
/// it can tell whether the clause changed since. Amendments stored before
/// have none (NULL).
const V5: &str = "
        ALTER TABLE amendments ADD COLUMN base_text TEXT;
";

/// The meeting's language, in which its record is written; meetings stored
/// before were held in English.
const V6: &str = "
        ALTER TABLE meetings ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
";

/// Each meeting's short participant code, by the SHA-256 of its canonical
/// form, so that a code finds its meeting without knowing it; one code per
/// meeting (replaced with the participant invite), no code twice. Meetings
/// stored before have none until their participant invite is replaced.
const V7: &str = "
        CREATE TABLE participant_codes (
            code_hash BLOB PRIMARY KEY,
            meeting_id TEXT NOT NULL UNIQUE REFERENCES meetings(id)
        ) WITHOUT ROWID;
";

/// The workshop's working groups and their catalogue of elements. A group
/// is labelled A, B, C…; a participant is in one group of a meeting at a
/// time. An element is a short phrase a group brought, numbered within its
/// group (A1, A2…). Nothing of the catalogue is ever deleted and an
/// element keeps its words and where it came from: merging a duplicate
/// only links it to what it was merged into, and splitting a compound
/// element makes new ones that name it. A group's mark that it shares
/// another group's element can be taken back.
const V8: &str = "
        CREATE TABLE groups (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            label TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (meeting_id, label)
        );
        CREATE TRIGGER groups_are_kept BEFORE DELETE ON groups
            BEGIN SELECT RAISE(ABORT, 'groups are never deleted'); END;
        CREATE TABLE group_members (
            meeting_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            group_id TEXT NOT NULL REFERENCES groups(id),
            PRIMARY KEY (meeting_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE elements (
            id TEXT PRIMARY KEY,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            group_id TEXT NOT NULL REFERENCES groups(id),
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            author_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            split_from TEXT REFERENCES elements(id),
            merged_into TEXT REFERENCES elements(id),
            value INTEGER NOT NULL DEFAULT 0,
            under_value TEXT REFERENCES elements(id),
            UNIQUE (group_id, position)
        );
        CREATE INDEX elements_by_meeting ON elements(meeting_id);
        CREATE TRIGGER elements_are_kept BEFORE DELETE ON elements
            BEGIN SELECT RAISE(ABORT, 'elements are never deleted'); END;
        CREATE TRIGGER elements_keep_their_provenance
            BEFORE UPDATE OF id, meeting_id, group_id, position, text, author_id, created_at, split_from
            ON elements
            BEGIN SELECT RAISE(ABORT, 'an element keeps its words and where it came from'); END;
        CREATE TRIGGER a_merge_is_for_good
            BEFORE UPDATE OF merged_into ON elements WHEN OLD.merged_into IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'a merged element stays merged'); END;
        CREATE TABLE element_shares (
            element_id TEXT NOT NULL REFERENCES elements(id),
            group_id TEXT NOT NULL REFERENCES groups(id),
            marked_by TEXT NOT NULL,
            marked_at INTEGER NOT NULL,
            PRIMARY KEY (element_id, group_id)
        ) WITHOUT ROWID;
";

/// The workshop's method: the stage a meeting is in (NULL for meetings
/// stored before stages: the amend stage, or frozen) and every move
/// between stages, with the draft's text then (the record's "first draft");
/// whether a meeting runs the whole workshop (a freeze then needs a closed
/// consensus check or a written reason, kept with the version); which
/// clauses carry which elements; the signals given on clauses, each on
/// one wording; the consensus checks on the whole text and their answers,
/// one per person. Signals, answers and stage moves are append-only; a
/// check changes once, when it closes.
const V9: &str = "
        ALTER TABLE meetings ADD COLUMN stage TEXT;
        ALTER TABLE meetings ADD COLUMN workshop INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE versions ADD COLUMN reason TEXT;
        CREATE TABLE stage_moves (
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            seq INTEGER NOT NULL,
            stage TEXT NOT NULL,
            moved_at INTEGER NOT NULL,
            moved_by TEXT NOT NULL,
            draft_text TEXT NOT NULL,
            PRIMARY KEY (meeting_id, seq)
        ) WITHOUT ROWID;
        CREATE TRIGGER stage_moves_are_kept BEFORE DELETE ON stage_moves
            BEGIN SELECT RAISE(ABORT, 'stage moves are never deleted'); END;
        CREATE TRIGGER stage_moves_never_change BEFORE UPDATE ON stage_moves
            BEGIN SELECT RAISE(ABORT, 'stage moves never change'); END;
        CREATE TABLE clause_elements (
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            clause_id TEXT NOT NULL,
            element_id TEXT NOT NULL REFERENCES elements(id),
            linked_by TEXT NOT NULL,
            linked_at INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, clause_id, element_id)
        ) WITHOUT ROWID;
        CREATE TABLE clause_signals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            clause_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            signal TEXT NOT NULL,
            reason TEXT,
            sha256 TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            given_at INTEGER NOT NULL
        );
        CREATE INDEX clause_signals_by_meeting ON clause_signals(meeting_id, clause_id, user_id, id);
        CREATE TRIGGER clause_signals_are_kept BEFORE DELETE ON clause_signals
            BEGIN SELECT RAISE(ABORT, 'signals are never deleted'); END;
        CREATE TRIGGER clause_signals_never_change BEFORE UPDATE ON clause_signals
            BEGIN SELECT RAISE(ABORT, 'a signal is never changed: a new one is given'); END;
        CREATE TABLE checks (
            meeting_id TEXT NOT NULL REFERENCES meetings(id),
            number INTEGER NOT NULL,
            opened_at INTEGER NOT NULL,
            opened_by TEXT NOT NULL,
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            hidden INTEGER NOT NULL,
            eligible INTEGER NOT NULL,
            closed_at INTEGER,
            closed_by TEXT,
            PRIMARY KEY (meeting_id, number)
        ) WITHOUT ROWID;
        CREATE TRIGGER checks_are_kept BEFORE DELETE ON checks
            BEGIN SELECT RAISE(ABORT, 'checks are never deleted'); END;
        CREATE TRIGGER a_check_only_closes BEFORE UPDATE ON checks
            WHEN OLD.closed_at IS NOT NULL
              OR NEW.meeting_id IS NOT OLD.meeting_id OR NEW.number IS NOT OLD.number
              OR NEW.opened_at IS NOT OLD.opened_at OR NEW.opened_by IS NOT OLD.opened_by
              OR NEW.text IS NOT OLD.text OR NEW.sha256 IS NOT OLD.sha256
              OR NEW.hidden IS NOT OLD.hidden OR NEW.eligible IS NOT OLD.eligible
            BEGIN SELECT RAISE(ABORT, 'a check changes only when it closes, once'); END;
        CREATE TABLE check_answers (
            meeting_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            user_id TEXT NOT NULL,
            answer TEXT NOT NULL,
            reason TEXT,
            recorded_by TEXT NOT NULL,
            answered_at INTEGER NOT NULL,
            PRIMARY KEY (meeting_id, number, user_id),
            FOREIGN KEY (meeting_id, number) REFERENCES checks(meeting_id, number)
        ) WITHOUT ROWID;
        CREATE TRIGGER check_answers_are_kept BEFORE DELETE ON check_answers
            BEGIN SELECT RAISE(ABORT, 'answers are never deleted'); END;
        CREATE TRIGGER check_answers_never_change BEFORE UPDATE ON check_answers
            BEGIN SELECT RAISE(ABORT, 'each person answers a check once'); END;
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Txn;
    use uuid::Uuid;

    /// A store as the server before bases, languages and codes left it:
    /// a meeting with an amendment.
    fn store_at_version_4() -> (tempfile::TempDir, Connection, Uuid) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("old.sqlite3")).unwrap();
        migrate_to(&mut conn, 4).unwrap();
        let meeting = Uuid::new_v4();
        conn.execute(
            "INSERT INTO meetings (id, title, created_at, participant_invite_hash, observer_invite_hash) VALUES (?1, 'Misja', 0, x'00', x'01')",
            [meeting.to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO amendments (id, meeting_id, clause_id, author_id, status, created_at) VALUES (?1, ?2, 'c', ?3, 'open', 0)",
            [Uuid::new_v4().to_string(), meeting.to_string(), Uuid::new_v4().to_string()],
        )
        .unwrap();
        (dir, conn, meeting)
    }

    #[test]
    fn a_store_from_before_bases_languages_and_codes_migrates_to_none_english_and_none() {
        let (_dir, mut conn, meeting) = store_at_version_4();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        let amendments = crate::store::load_amendments(&Txn::Sqlite(&conn), meeting).unwrap();
        assert_eq!(amendments.len(), 1);
        assert_eq!(amendments[0].base_text, None);
        let loaded = crate::store::load_meeting(&Txn::Sqlite(&conn), meeting)
            .unwrap()
            .unwrap();
        assert_eq!(loaded.meeting.language, "en");
        assert_eq!(loaded.participant_code_hash, None);
        // Migrating again changes nothing.
        migrate(&mut conn).unwrap();
    }
}
