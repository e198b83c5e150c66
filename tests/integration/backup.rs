//! Backup and restore (RELIABILITY.md): `draftroom backup` copies the store
//! while a meeting is typing into it, `draftroom restore` puts that copy in
//! place, and every meeting, member, amendment, version and journal line of
//! the moment of the backup comes back.

use std::process::{Command, Output};
use std::time::Duration;

use crate::{DRAFTROOM, Start};
use draftroom_tests::rooms::clause_texts;
use draftroom_tests::{Meeting, Server, WAIT, YClient, eventually};
use serde_json::Value;

fn draftroom(args: &[&str]) -> Output {
    Command::new(DRAFTROOM)
        .args(args)
        .output()
        .expect("run draftroom")
}

/// Checks that a `backup` or `restore` failed with exit code 1 and said
/// only `line`, on stderr.
#[track_caller]
fn assert_cli_refused(out: &Output, line: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{line}\n"),
        "stderr"
    );
    assert!(out.stdout.is_empty(), "{}", text(out));
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What the API shows of a meeting: its info, versions, amendments, and
/// the history of its first clause.
async fn record(server: &Server, meeting: &Meeting, clause: &str) -> anyhow::Result<Vec<Value>> {
    let id = meeting.id();
    let token = Some(meeting.moderator_token());
    let mut out = Vec::new();
    for path in [
        format!("/api/meetings/{id}"),
        format!("/api/meetings/{id}/versions"),
        format!("/api/meetings/{id}/versions/1?format=json"),
        format!("/api/meetings/{id}/amendments"),
        format!("/api/meetings/{id}/clauses/{clause}/history"),
    ] {
        let (status, body) = server.get(&path, token).await?;
        anyhow::ensure!(status == 200, "{path}: {status} {body}");
        out.push(body);
    }
    Ok(out)
}

#[tokio::test]
async fn backup_while_typing_then_restore_brings_everything_back() -> anyhow::Result<()> {
    let mut server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Krakowa").await?;
    let (writer, follower, clauses) = server
        .draft_with_clauses(
            &meeting,
            &["Kraków jest miastem otwartym", "Dla wszystkich"],
        )
        .await?;
    let amendment = server
        .open_amendment_ok(meeting.id(), &meeting.participant.token, &clauses[1])
        .await?;
    let (status, _) = server
        .amendment_command(
            meeting.id(),
            &amendment,
            "accept",
            meeting.moderator_token(),
        )
        .await?;
    assert_eq!(status, 200);
    for command in ["freeze", "reopen"] {
        let (status, body) = server
            .meeting_command(meeting.id(), command, meeting.moderator_token())
            .await?;
        assert_eq!(status, 200, "{command}: {body}");
    }
    // The first clause's history now holds the writer's typing; the
    // record as it stands before the backup:
    let before = record(&server, &meeting, &clauses[0]).await?;

    // The writer types on while the backup runs.
    let typing = tokio::spawn(async move {
        for i in 0..400 {
            writer.push_text(0, if i % 2 == 0 { "ż" } else { "🙂" });
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        writer
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen_before_backup = clause_texts(follower.doc())[0].clone();
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("misja.sqlite3");
    let data = server.data_dir().display().to_string();
    let out = draftroom(&[
        "backup",
        "--data",
        &data,
        "--out",
        &file.display().to_string(),
    ]);
    assert!(out.status.success(), "backup: {}", text(&out));
    assert!(text(&out).contains("1 meetings"), "{}", text(&out));
    let writer = typing.await?;
    follower.wait_for_text(&writer.draft_text()).await?;
    let typed_all = clause_texts(writer.doc())[0].clone();

    // A backup never overwrites, and restore refuses a running server's
    // directory.
    let again = draftroom(&[
        "backup",
        "--data",
        &data,
        "--out",
        &file.display().to_string(),
    ]);
    assert!(!again.status.success());
    assert!(text(&again).contains("exists already"), "{}", text(&again));
    let busy = draftroom(&[
        "restore",
        "--data",
        &data,
        "--from",
        &file.display().to_string(),
    ]);
    assert!(!busy.status.success());
    assert!(text(&busy).contains("stop it first"), "{}", text(&busy));

    // The server stops; the backup goes in place of its store.
    server.kill9();
    let out = draftroom(&[
        "restore",
        "--data",
        &data,
        "--from",
        &file.display().to_string(),
    ]);
    assert!(out.status.success(), "restore: {}", text(&out));
    assert!(text(&out).contains("kept as"), "{}", text(&out));
    server.restart();

    // The record of before the backup is all there, members' tokens work.
    let after = record(&server, &meeting, &clauses[0]).await?;
    assert_eq!(after[..4], before[..4], "meeting, versions and amendments");
    let history_before = before[4].as_array().expect("history").len();
    let history_after = after[4].as_array().expect("history").len();
    assert!(
        history_after >= history_before,
        "journal lines: {history_before} → {history_after}"
    );
    // The clause is its text of one moment between the backup's start and
    // the end of the typing: everything seen before, a prefix of the end.
    let fresh =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    fresh.wait_synced().await?;
    let restored = clause_texts(fresh.doc())[0].clone();
    assert!(
        restored.starts_with(&seen_before_backup) && typed_all.starts_with(&restored),
        "restored draft {restored:?}\nseen before {seen_before_backup:?}\nfinal {typed_all:?}"
    );
    // And the restored meeting takes changes.
    let writer = server
        .connect_room(meeting.id(), "draft", meeting.moderator_token())
        .await?;
    writer.push_text(0, " koniec");
    eventually("the restored meeting to take a change", WAIT, || async {
        clause_texts(fresh.doc())[0].ends_with(" koniec")
    })
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "{e}: {:?} denials {:?}\n{}",
            fresh.draft_text(),
            writer.denials(),
            server.log_tail()
        )
    })?;
    Ok(())
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_store() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let junk = dir.path().join("junk.sqlite3");
    std::fs::write(&junk, "to nie jest baza danych")?;
    let data = dir.path().join("data");
    let out = draftroom(&[
        "restore",
        "--data",
        &data.display().to_string(),
        "--from",
        &junk.display().to_string(),
    ]);
    assert_cli_refused(&out, "draftroom restore: file is not a database");
    assert!(
        !data.join("draftroom.sqlite3").exists(),
        "nothing was put in place"
    );
    let missing = draftroom(&[
        "backup",
        "--data",
        &data.display().to_string(),
        "--out",
        &dir.path().join("b").display().to_string(),
    ]);
    assert_cli_refused(
        &missing,
        &format!(
            "draftroom backup: no store at {} (is --data right?)",
            data.join("draftroom.sqlite3").display()
        ),
    );
    Ok(())
}

/// Two servers on one store would both write its logs; the second one is
/// refused with a sentence that says why.
#[tokio::test]
async fn a_second_server_on_one_data_directory_is_refused() -> anyhow::Result<()> {
    let server = Server::start();
    let data = server.data_dir().display().to_string();
    let out = Command::new(DRAFTROOM)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            &data,
            "--web",
            "none",
        ])
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // Its log and, with RUST_BACKTRACE set, a backtrace go to stderr too.
    let refusal = format!(
        "Error: another Draftroom process (a server or a restore) is using {data}; stop it first"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .any(|line| line == refusal),
        "{}",
        text(&out)
    );
    assert!(out.stdout.is_empty(), "{}", text(&out));
    // The first one is untouched.
    Meeting::set_up(&server, "Misja").await?;
    Ok(())
}
