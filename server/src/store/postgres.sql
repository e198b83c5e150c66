-- The store's schema on PostgreSQL (15 and later).
--
-- This mirrors the SQLite schema of server/src/store/schema.rs at version 9
-- (V1 to V9 applied in order) and must change with it: a new version there
-- is a change here, and schema_version below says which one this is.
-- PostgreSQL support starts at version 9, so there are no steps: this one
-- script brings an empty database to version 9, and running it again on a
-- database at version 9 changes nothing.
--
-- Run it as one transaction (psql --single-transaction -f, or one
-- simple-query batch from the server, which PostgreSQL runs as one
-- implicit transaction): the advisory lock below then keeps two servers
-- starting together from creating the same things at once, and a failure
-- leaves nothing half made. It holds no BEGIN or COMMIT of its own so that
-- a caller's transaction stays whole.
--
-- What differs from SQLite, and why:
--
-- * Types. INTEGER is BIGINT everywhere (SQLite's integers are 64-bit,
--   including the 0/1 flags and counts), BLOB is BYTEA, TEXT is TEXT.
--   `WITHOUT ROWID` has no meaning here and is dropped.
-- * Every TEXT column is COLLATE "C": SQLite compares and sorts text by
--   its bytes, and the store's ORDER BY label, user_id, clause_id… must
--   give the same order whatever locale the database was created with.
-- * `id INTEGER PRIMARY KEY AUTOINCREMENT` is an identity column: numbers
--   only go up and are never reused, as with AUTOINCREMENT (an insert
--   rolled back leaves a gap here, which nothing reads).
-- * A primary key is never NULL here. SQLite lets the TEXT primary key of
--   a table with a rowid (meetings.id, users.id, …) be NULL, a quirk it
--   keeps for old files; the store never writes one.
-- * SQLite's hidden rowid: the store orders users and amendments by it
--   (ORDER BY joined_at, rowid / created_at, rowid) to keep insertion
--   order among equal times. Those two tables end with a column named
--   rowid that PostgreSQL numbers in insertion order, so the same SQL text
--   works on both. No other table is read or ordered by rowid (journal
--   and clause_signals order by their id, which is SQLite's rowid there).
-- * Triggers: each SQLite trigger is a trigger of the same name, table,
--   timing, column list and condition, calling a PL/pgSQL function of the
--   same name that raises the same message as SQLite's RAISE(ABORT, …),
--   with SQLSTATE 23001 (restrict_violation) for all of them, so the
--   server tells a refusal of the database from other failures by that
--   code and shows the message as it is. SQLite's `IS NOT` is
--   `IS DISTINCT FROM` here (both treat NULL as a value).
-- * TRUNCATE skips row triggers in PostgreSQL (SQLite has none, and its
--   DELETE without WHERE still runs them), so each table whose rows are
--   never deleted also refuses TRUNCATE, with the same message, by a
--   statement trigger named after its delete trigger with `_truncate`.
-- * An error aborts the whole transaction in PostgreSQL, where SQLite's
--   RAISE(ABORT) undoes only the statement: the writer's savepoint per job
--   is what keeps one refused job from taking its batch down, on both.
-- * PRAGMA user_version is the one-row table schema_version, holding 9.
--   The script refuses to run on a database of a newer version (its
--   functions would replace the newer ones), with SQLSTATE 55000.

-- The notices of a second run (relation already exists, skipping) say
-- nothing worth reading.
SET LOCAL client_min_messages = warning;

-- One server at a time creates the schema: the lock is held until the
-- transaction ends. The number is any constant, the same in every version.
DO $$
BEGIN
    PERFORM pg_advisory_xact_lock(7305981154094713609);
END
$$;

CREATE TABLE IF NOT EXISTS schema_version (
    version BIGINT NOT NULL
);
-- One row only: a constant expression can be unique once.
CREATE UNIQUE INDEX IF NOT EXISTS schema_version_one_row ON schema_version ((true));

DO $$
DECLARE
    stored BIGINT;
BEGIN
    SELECT max(version) INTO stored FROM schema_version;
    IF stored > 9 THEN
        RAISE EXCEPTION 'the database has schema version %, newer than this script''s 9', stored
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$$;

-- V1: meetings, members, client bindings, room logs.

CREATE TABLE IF NOT EXISTS meetings (
    id TEXT COLLATE "C" PRIMARY KEY,
    title TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    participant_invite_hash BYTEA NOT NULL,
    observer_invite_hash BYTEA NOT NULL,
    frozen BIGINT NOT NULL DEFAULT 0,
    language TEXT COLLATE "C" NOT NULL DEFAULT 'en',
    stage TEXT COLLATE "C",
    workshop BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS users (
    id TEXT COLLATE "C" PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    name TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL,
    colour TEXT COLLATE "C" NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    joined_at BIGINT NOT NULL,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS users_by_meeting ON users(meeting_id);

CREATE TABLE IF NOT EXISTS client_bindings (
    meeting_id TEXT COLLATE "C" NOT NULL,
    client_id BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (meeting_id, client_id)
);

CREATE TABLE IF NOT EXISTS room_updates (
    room TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (room, seq)
);

CREATE TABLE IF NOT EXISTS room_snapshots (
    room TEXT COLLATE "C" PRIMARY KEY,
    seq BIGINT NOT NULL,
    data BYTEA NOT NULL
);

CREATE TABLE IF NOT EXISTS refused_clients (
    room TEXT COLLATE "C" NOT NULL,
    client_id BIGINT NOT NULL,
    PRIMARY KEY (room, client_id)
);

-- V2: amendments and supports, frozen versions, the attribution journal.

CREATE TABLE IF NOT EXISTS amendments (
    id TEXT COLLATE "C" PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    clause_id TEXT COLLATE "C" NOT NULL,
    author_id TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT COLLATE "C",
    final_text TEXT COLLATE "C",
    base_text TEXT COLLATE "C",
    rowid BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS amendments_by_meeting ON amendments(meeting_id);

CREATE TABLE IF NOT EXISTS supports (
    amendment_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (amendment_id, user_id)
);

CREATE TABLE IF NOT EXISTS versions (
    meeting_id TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    frozen_by TEXT COLLATE "C" NOT NULL,
    text TEXT COLLATE "C" NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    snapshot BYTEA NOT NULL,
    state BYTEA NOT NULL,
    reason TEXT COLLATE "C",
    PRIMARY KEY (meeting_id, number)
);

-- Versions never change: refuse it in the database too.
CREATE OR REPLACE FUNCTION versions_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'versions never change', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS versions_are_immutable ON versions;
CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
    FOR EACH ROW EXECUTE FUNCTION versions_are_immutable();

CREATE OR REPLACE FUNCTION versions_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'versions are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS versions_are_kept ON versions;
CREATE TRIGGER versions_are_kept BEFORE DELETE ON versions
    FOR EACH ROW EXECUTE FUNCTION versions_are_kept();
DROP TRIGGER IF EXISTS versions_are_kept_truncate ON versions;
CREATE TRIGGER versions_are_kept_truncate BEFORE TRUNCATE ON versions
    FOR EACH STATEMENT EXECUTE FUNCTION versions_are_kept();

CREATE TABLE IF NOT EXISTS journal (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL,
    room TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    time BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    clause_id TEXT COLLATE "C",
    inserted BIGINT NOT NULL,
    deleted BIGINT NOT NULL,
    accepted_by TEXT COLLATE "C",
    amendment_id TEXT COLLATE "C",
    moved_from BIGINT,
    moved_to BIGINT
);
CREATE INDEX IF NOT EXISTS journal_by_clause ON journal(meeting_id, clause_id, id);

CREATE OR REPLACE FUNCTION journal_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'the journal is append-only', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS journal_is_append_only ON journal;
CREATE TRIGGER journal_is_append_only BEFORE UPDATE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_is_append_only();

CREATE OR REPLACE FUNCTION journal_keeps_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'the journal is append-only', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS journal_keeps_rows ON journal;
CREATE TRIGGER journal_keeps_rows BEFORE DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_keeps_rows();
DROP TRIGGER IF EXISTS journal_keeps_rows_truncate ON journal;
CREATE TRIGGER journal_keeps_rows_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_keeps_rows();

-- V3: the row the writer rewrites to find out whether failing storage has
-- come back.

CREATE TABLE IF NOT EXISTS store_probe (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    pad BYTEA NOT NULL
);

-- V4: where the words of moved clauses went (the journal's moved_from and
-- moved_to are in its table above).

CREATE TABLE IF NOT EXISTS moved_texts (
    room TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    data TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (room, seq)
);

-- V5 (amendments.base_text) and V6 (meetings.language) only add columns,
-- which are in their tables above.

-- V7: each meeting's short participant code, by its SHA-256.

CREATE TABLE IF NOT EXISTS participant_codes (
    code_hash BYTEA PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES meetings(id)
);

-- V8: the workshop's working groups and their catalogue of elements.
-- Nothing of the catalogue is ever deleted, and an element keeps its words
-- and where it came from.

CREATE TABLE IF NOT EXISTS groups (
    id TEXT COLLATE "C" PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    label TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (meeting_id, label)
);

CREATE OR REPLACE FUNCTION groups_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'groups are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS groups_are_kept ON groups;
CREATE TRIGGER groups_are_kept BEFORE DELETE ON groups
    FOR EACH ROW EXECUTE FUNCTION groups_are_kept();
DROP TRIGGER IF EXISTS groups_are_kept_truncate ON groups;
CREATE TRIGGER groups_are_kept_truncate BEFORE TRUNCATE ON groups
    FOR EACH STATEMENT EXECUTE FUNCTION groups_are_kept();

CREATE TABLE IF NOT EXISTS group_members (
    meeting_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(id),
    PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE IF NOT EXISTS elements (
    id TEXT COLLATE "C" PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(id),
    position BIGINT NOT NULL,
    text TEXT COLLATE "C" NOT NULL,
    author_id TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    split_from TEXT COLLATE "C" REFERENCES elements(id),
    merged_into TEXT COLLATE "C" REFERENCES elements(id),
    value BIGINT NOT NULL DEFAULT 0,
    under_value TEXT COLLATE "C" REFERENCES elements(id),
    UNIQUE (group_id, position)
);
CREATE INDEX IF NOT EXISTS elements_by_meeting ON elements(meeting_id);

CREATE OR REPLACE FUNCTION elements_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'elements are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS elements_are_kept ON elements;
CREATE TRIGGER elements_are_kept BEFORE DELETE ON elements
    FOR EACH ROW EXECUTE FUNCTION elements_are_kept();
DROP TRIGGER IF EXISTS elements_are_kept_truncate ON elements;
CREATE TRIGGER elements_are_kept_truncate BEFORE TRUNCATE ON elements
    FOR EACH STATEMENT EXECUTE FUNCTION elements_are_kept();

-- As in SQLite, UPDATE OF fires when a listed column is set at all, even
-- to the value it had.
CREATE OR REPLACE FUNCTION elements_keep_their_provenance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'an element keeps its words and where it came from',
        ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS elements_keep_their_provenance ON elements;
CREATE TRIGGER elements_keep_their_provenance
    BEFORE UPDATE OF id, meeting_id, group_id, position, text, author_id, created_at, split_from
    ON elements
    FOR EACH ROW EXECUTE FUNCTION elements_keep_their_provenance();

CREATE OR REPLACE FUNCTION a_merge_is_for_good() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'a merged element stays merged', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS a_merge_is_for_good ON elements;
CREATE TRIGGER a_merge_is_for_good
    BEFORE UPDATE OF merged_into ON elements
    FOR EACH ROW WHEN (OLD.merged_into IS NOT NULL)
    EXECUTE FUNCTION a_merge_is_for_good();

CREATE TABLE IF NOT EXISTS element_shares (
    element_id TEXT COLLATE "C" NOT NULL REFERENCES elements(id),
    group_id TEXT COLLATE "C" NOT NULL REFERENCES groups(id),
    marked_by TEXT COLLATE "C" NOT NULL,
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (element_id, group_id)
);

-- V9: the workshop's method. Signals, answers and stage moves are
-- append-only; a check changes once, when it closes.

CREATE TABLE IF NOT EXISTS stage_moves (
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    seq BIGINT NOT NULL,
    stage TEXT COLLATE "C" NOT NULL,
    moved_at BIGINT NOT NULL,
    moved_by TEXT COLLATE "C" NOT NULL,
    draft_text TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (meeting_id, seq)
);

CREATE OR REPLACE FUNCTION stage_moves_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'stage moves are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS stage_moves_are_kept ON stage_moves;
CREATE TRIGGER stage_moves_are_kept BEFORE DELETE ON stage_moves
    FOR EACH ROW EXECUTE FUNCTION stage_moves_are_kept();
DROP TRIGGER IF EXISTS stage_moves_are_kept_truncate ON stage_moves;
CREATE TRIGGER stage_moves_are_kept_truncate BEFORE TRUNCATE ON stage_moves
    FOR EACH STATEMENT EXECUTE FUNCTION stage_moves_are_kept();

CREATE OR REPLACE FUNCTION stage_moves_never_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'stage moves never change', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS stage_moves_never_change ON stage_moves;
CREATE TRIGGER stage_moves_never_change BEFORE UPDATE ON stage_moves
    FOR EACH ROW EXECUTE FUNCTION stage_moves_never_change();

CREATE TABLE IF NOT EXISTS clause_elements (
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    clause_id TEXT COLLATE "C" NOT NULL,
    element_id TEXT COLLATE "C" NOT NULL REFERENCES elements(id),
    linked_by TEXT COLLATE "C" NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, clause_id, element_id)
);

CREATE TABLE IF NOT EXISTS clause_signals (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    clause_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    signal TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C",
    sha256 TEXT COLLATE "C" NOT NULL,
    recorded_by TEXT COLLATE "C" NOT NULL,
    given_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS clause_signals_by_meeting
    ON clause_signals(meeting_id, clause_id, user_id, id);

CREATE OR REPLACE FUNCTION clause_signals_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'signals are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS clause_signals_are_kept ON clause_signals;
CREATE TRIGGER clause_signals_are_kept BEFORE DELETE ON clause_signals
    FOR EACH ROW EXECUTE FUNCTION clause_signals_are_kept();
DROP TRIGGER IF EXISTS clause_signals_are_kept_truncate ON clause_signals;
CREATE TRIGGER clause_signals_are_kept_truncate BEFORE TRUNCATE ON clause_signals
    FOR EACH STATEMENT EXECUTE FUNCTION clause_signals_are_kept();

CREATE OR REPLACE FUNCTION clause_signals_never_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'a signal is never changed: a new one is given',
        ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS clause_signals_never_change ON clause_signals;
CREATE TRIGGER clause_signals_never_change BEFORE UPDATE ON clause_signals
    FOR EACH ROW EXECUTE FUNCTION clause_signals_never_change();

CREATE TABLE IF NOT EXISTS checks (
    meeting_id TEXT COLLATE "C" NOT NULL REFERENCES meetings(id),
    number BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    opened_by TEXT COLLATE "C" NOT NULL,
    text TEXT COLLATE "C" NOT NULL,
    sha256 TEXT COLLATE "C" NOT NULL,
    hidden BIGINT NOT NULL,
    eligible BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT COLLATE "C",
    PRIMARY KEY (meeting_id, number)
);

CREATE OR REPLACE FUNCTION checks_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'checks are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS checks_are_kept ON checks;
CREATE TRIGGER checks_are_kept BEFORE DELETE ON checks
    FOR EACH ROW EXECUTE FUNCTION checks_are_kept();
DROP TRIGGER IF EXISTS checks_are_kept_truncate ON checks;
CREATE TRIGGER checks_are_kept_truncate BEFORE TRUNCATE ON checks
    FOR EACH STATEMENT EXECUTE FUNCTION checks_are_kept();

-- An open check may have closed_at and closed_by set (closing it); nothing
-- else of it ever changes, and nothing of it once closed.
CREATE OR REPLACE FUNCTION a_check_only_closes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'a check changes only when it closes, once',
        ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS a_check_only_closes ON checks;
CREATE TRIGGER a_check_only_closes BEFORE UPDATE ON checks
    FOR EACH ROW WHEN (
        OLD.closed_at IS NOT NULL
        OR NEW.meeting_id IS DISTINCT FROM OLD.meeting_id OR NEW.number IS DISTINCT FROM OLD.number
        OR NEW.opened_at IS DISTINCT FROM OLD.opened_at OR NEW.opened_by IS DISTINCT FROM OLD.opened_by
        OR NEW.text IS DISTINCT FROM OLD.text OR NEW.sha256 IS DISTINCT FROM OLD.sha256
        OR NEW.hidden IS DISTINCT FROM OLD.hidden OR NEW.eligible IS DISTINCT FROM OLD.eligible
    )
    EXECUTE FUNCTION a_check_only_closes();

CREATE TABLE IF NOT EXISTS check_answers (
    meeting_id TEXT COLLATE "C" NOT NULL,
    number BIGINT NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    answer TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C",
    recorded_by TEXT COLLATE "C" NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, number, user_id),
    FOREIGN KEY (meeting_id, number) REFERENCES checks(meeting_id, number)
);

CREATE OR REPLACE FUNCTION check_answers_are_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'answers are never deleted', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS check_answers_are_kept ON check_answers;
CREATE TRIGGER check_answers_are_kept BEFORE DELETE ON check_answers
    FOR EACH ROW EXECUTE FUNCTION check_answers_are_kept();
DROP TRIGGER IF EXISTS check_answers_are_kept_truncate ON check_answers;
CREATE TRIGGER check_answers_are_kept_truncate BEFORE TRUNCATE ON check_answers
    FOR EACH STATEMENT EXECUTE FUNCTION check_answers_are_kept();

CREATE OR REPLACE FUNCTION check_answers_never_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'each person answers a check once', ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS check_answers_never_change ON check_answers;
CREATE TRIGGER check_answers_never_change BEFORE UPDATE ON check_answers
    FOR EACH ROW EXECUTE FUNCTION check_answers_never_change();

-- Only on PostgreSQL: which process owns each meeting (several processes
-- share the database). Ownership is a lease that its owner renews; another
-- process takes it over only once it has expired, and raises the epoch.
-- Every batch the owner commits locks its row and checks the epoch, so a
-- process that lost the lease (paused past it, say) commits nothing more
-- for that meeting. Times are PostgreSQL's own clock, in ms since the
-- epoch, so the processes' clocks do not matter.
CREATE TABLE IF NOT EXISTS meeting_owners (
    meeting_id TEXT COLLATE "C" PRIMARY KEY,
    process_id TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL,
    epoch BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Only on PostgreSQL: the secret the processes sharing the database show
-- each other when one forwards a client's request to another (one row,
-- made by the first process to start).
CREATE TABLE IF NOT EXISTS cluster_secret (
    secret BYTEA NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cluster_secret_one_row ON cluster_secret ((true));

-- The version this script makes; a later script raises it.
INSERT INTO schema_version (version)
SELECT 9 WHERE NOT EXISTS (SELECT 1 FROM schema_version);
