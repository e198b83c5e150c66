//! Live sync of the draft: concurrent edits converge, late joiners get the
//! whole state, and Polish letters and emoji keep their places when offsets
//! are counted in UTF-16 as a JavaScript client counts them.

use crate::Start;
use draftroom_tests::{Meeting, Server, WAIT, YClient, clause_text, eventually, rooms};
use yrs::{Text as _, Transact as _};

#[tokio::test]
async fn moderator_and_editor_converge_on_concurrent_edits() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Misja Miasta Krakowa").await?;
    let moderator =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    let editor =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.editor.token)).await?;
    moderator.wait_synced().await?;
    editor.wait_synced().await?;

    moderator.add_clause("Kraków jest miastem otwartym");
    editor.wait_for_text("Kraków jest miastem otwartym").await?;

    // Interleave without waiting: each side edits a state the other has not
    // seen yet, so the server relays truly concurrent updates.
    for i in 0..40 {
        moderator.insert_text(0, 0, "m");
        editor.push_text(0, "e");
        if i % 10 == 0 {
            editor.insert_text(0, 6, "ś");
            moderator.add_clause(&format!("Punkt {i}"));
        }
    }
    // The end of clause 0 is always one of the editor's own e's (the
    // moderator only inserts at its start), so this deletes exactly one e.
    editor.delete_text(0, rooms::clause_len(editor.doc(), 0) - 1, 1);

    let expected_len = "Kraków jest miastem otwartym".chars().count() + 40 + 40 + 4 - 1;
    eventually("moderator and editor converge", WAIT, || async {
        let (m, e) = (moderator.draft_text(), editor.draft_text());
        m == e
            && rooms::clause_texts(moderator.doc()).len() == 5
            && rooms::clause_texts(moderator.doc())[0].chars().count() == expected_len
    })
    .await
    .map_err(|e| {
        e.context(format!(
            "moderator {:?}\neditor {:?}",
            moderator.draft_text(),
            editor.draft_text()
        ))
    })?;

    let text = moderator.draft_text();
    let clause = &rooms::clause_texts(moderator.doc())[0];
    assert_eq!(
        clause.matches('m').count(),
        40 + 3,
        "40 m's plus those of 'miastem otwartym'"
    );
    assert_eq!(
        clause.matches('e').count(),
        40 - 1 + 2,
        "40 e's less one deleted, plus 'jest' and 'miastem'"
    );
    assert_eq!(clause.matches('ś').count(), 4);

    // A late joiner gets all of it from the server alone.
    let observer =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    observer.wait_synced().await?;
    assert_eq!(observer.draft_text(), text);
    assert_eq!(
        rooms::clause_ids(observer.doc()),
        rooms::clause_ids(moderator.doc())
    );
    assert!(moderator.denials().is_empty() && editor.denials().is_empty());
    assert!(
        moderator.errors().is_empty() && editor.errors().is_empty() && observer.errors().is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn polish_letters_and_emoji_keep_their_utf16_places() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Wizja").await?;
    let moderator =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    let editor =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.editor.token)).await?;
    moderator.wait_synced().await?;
    editor.wait_synced().await?;

    moderator.add_clause("Kraków 😀 ąćęłńóśźż");
    editor.wait_for_text("Kraków 😀 ąćęłńóśźż").await?;

    // In JavaScript "Kraków " is 7 code units and 😀 is two more (7..9):
    // offset 9 is right after the emoji.
    editor.insert_text(0, 9, "X");
    moderator.wait_for_text("Kraków 😀X ąćęłńóśźż").await?;

    // Deleting the two code units of the emoji removes exactly the emoji.
    moderator.delete_text(0, 7, 2);
    editor.wait_for_text("Kraków X ąćęłńóśźż").await?;

    // A flag is four code units; offset 4 is after it.
    moderator.insert_text(0, 0, "🇵🇱");
    editor.wait_for_text("🇵🇱Kraków X ąćęłńóśźż").await?;
    editor.insert_text(0, 4, "Zażółć gęślą jaźń ");
    let expected = "🇵🇱Zażółć gęślą jaźń Kraków X ąćęłńóśźż";
    moderator.wait_for_text(expected).await?;

    let observer =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.observer.token)).await?;
    observer.wait_synced().await?;
    assert_eq!(observer.draft_text(), expected);
    let utf16_len = rooms::clause_len(observer.doc(), 0);
    assert_eq!(
        utf16_len as usize,
        expected.encode_utf16().count(),
        "length in UTF-16 code units"
    );
    Ok(())
}

/// A browser tab that lost its connection keeps editing; on reconnect its
/// sync step 2 carries those edits, and an editor's are accepted.
#[tokio::test]
async fn an_editors_offline_edits_arrive_on_reconnect() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Wizja").await?;
    let moderator =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Kraków");
    let editor =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.editor.token)).await?;
    editor.wait_synced().await?;
    editor.wait_for_text("Kraków").await?;

    let doc = editor.close_and_keep_doc().await;
    {
        let mut txn = doc.transact_mut();
        clause_text(&txn, 0).push(&mut txn, " — w pociągu");
    }
    moderator.insert_text(0, 0, "Nasz ");

    let editor = YClient::connect_with_doc(
        &server.ws_url(meeting.id(), "draft", &meeting.editor.token),
        doc,
    )
    .await?;
    editor.wait_synced().await?;
    let expected = "Nasz Kraków — w pociągu";
    moderator.wait_for_text(expected).await?;
    editor.wait_for_text(expected).await?;
    assert!(
        editor.denials().is_empty(),
        "offline edits refused: {:?}",
        editor.denials()
    );
    Ok(())
}

/// What the stock y-websocket client does when its user types while it
/// reconnects with offline edits: on open it sends sync step 1 and, at once,
/// every new local update; its sync step 2 (the offline edits) only follows
/// the server's step 1. So the server sees an update that builds on edits
/// it gets a moment later, and must hold it briefly rather than refuse it.
#[tokio::test]
async fn typing_while_reconnecting_with_offline_edits_is_accepted() -> anyhow::Result<()> {
    let server = Server::start();
    let meeting = Meeting::set_up(&server, "Wizja").await?;
    let moderator =
        YClient::connect(&server.ws_url(meeting.id(), "draft", meeting.moderator_token())).await?;
    moderator.wait_synced().await?;
    moderator.add_clause("Kraków");
    let editor =
        YClient::connect(&server.ws_url(meeting.id(), "draft", &meeting.editor.token)).await?;
    editor.wait_synced().await?;
    editor.wait_for_text("Kraków").await?;

    let doc = editor.close_and_keep_doc().await;
    {
        let mut txn = doc.transact_mut();
        clause_text(&txn, 0).push(&mut txn, " — w pociągu");
    }
    let editor = YClient::connect_with_doc(
        &server.ws_url(meeting.id(), "draft", &meeting.editor.token),
        doc,
    )
    .await?;
    // Typed before the server's sync step 1 has arrived, so it goes out
    // right after this client's step 1 and before its step 2.
    editor.push_text(0, "!");
    editor.wait_synced().await?;

    let expected = "Kraków — w pociągu!";
    // Stop early on a refusal: it will not be taken back.
    let settled = eventually("the edits to arrive, or a refusal", WAIT, || async {
        moderator.draft_text() == expected || !editor.denials().is_empty()
    })
    .await;
    assert!(
        editor.denials().is_empty(),
        "typing during a reconnect was refused: {:?}; the moderator sees {:?}",
        editor.denials(),
        moderator.draft_text()
    );
    settled?;
    editor.wait_for_text(expected).await?;
    Ok(())
}
