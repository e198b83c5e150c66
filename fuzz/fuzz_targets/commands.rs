//! The JSON commands: any body, to any command, with any of the members'
//! tokens (or a bad one), through the real router and hub onto a real
//! store. Whatever comes, the answer is never a 500 and never a panic, and
//! every refusal is `{"error":{"code","message"}}` with the status its
//! code goes with.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use draftroom_server::config::Config;
use draftroom_server::meeting::{Meeting, Member, Received};
use draftroom_server::{AppState, app};
use draftroom_shared::{ErrorCode, RoomName};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use yrs::{Array, Map, MapPrelim, TextPrelim, Transact};

struct World {
    rt: tokio::runtime::Runtime,
    state: Arc<AppState>,
    router: axum::Router,
    meeting: String,
    tokens: Vec<String>,
    participant_id: String,
    clause: String,
    amendment: String,
    invites: Vec<String>,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            web_dir: None,
            ..Config::default()
        };
        config.limits.meetings_per_minute = u64::MAX / 2;
        config.limits.joins_per_minute = u64::MAX / 2;
        config.limits.failed_sign_ins_per_minute = u64::MAX / 2;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (state, closer) = draftroom_server::state(config).expect("state");
        std::mem::forget(closer);
        let router = app(state.clone());
        let (meeting, tokens, participant_id, clause, amendment, invites) = rt.block_on(async {
            let hub = &state.hub;
            let created = hub
                .create_meeting("Misja", "Ala", draftroom_shared::Language::Pl)
                .await
                .expect("meeting");
            let id: uuid::Uuid = created.id;
            let p = hub
                .join(id, &created.participant_invite, "Bartek")
                .await
                .expect("participant");
            let o = hub
                .join(id, &created.observer_invite, "Celina")
                .await
                .expect("observer");
            let (m, moderator) = hub
                .authenticate(id, Some(&created.moderator_token))
                .await
                .expect("moderator");
            let clause = add_clause(&m, &moderator, "Kraków jest miastem otwartym").await;
            let (_, participant) = hub
                .authenticate(id, Some(&p.token))
                .await
                .expect("participant");
            let amendment = hub
                .open_amendment(&m, &participant, &clause)
                .await
                .expect("amendment")
                .amendment
                .id
                .to_string();
            (
                id.to_string(),
                vec![
                    created.moderator_token.clone(),
                    p.token.clone(),
                    o.token.clone(),
                ],
                p.user_id.to_string(),
                clause,
                amendment,
                vec![
                    created.participant_invite.clone(),
                    created.observer_invite.clone(),
                ],
            )
        });
        World {
            rt,
            state,
            router,
            meeting,
            tokens,
            participant_id,
            clause,
            amendment,
            invites,
            _dir: dir,
        }
    })
}

/// Writes a clause into the draft as `by` would from a browser; answers
/// its id.
async fn add_clause(m: &Arc<Meeting>, by: &Member, text: &str) -> String {
    let id = "c-fuzz".to_owned();
    let doc = draftroom_server::room::new_doc();
    let clauses = doc.get_or_insert_array("clauses");
    let update = {
        let mut txn = doc.transact_mut();
        let clause = clauses.push_back(&mut txn, MapPrelim::default());
        clause.insert(&mut txn, "id", id.clone());
        clause.insert(&mut txn, "text", TextPrelim::new(text));
        txn.encode_update_v1()
    };
    let held = m.hold_room(RoomName::Draft).await.expect("draft");
    let received = m.receive_update(&held.room, by.id, 0, &update);
    assert!(matches!(received, Received::Applied), "{received:?}");
    let seq = held.room.doc().seq();
    held.room.wait_durable(seq).await.expect("durable");
    id
}

/// The command paths, with the world's ids filled in.
fn path(w: &World, which: u8) -> (&'static str, String) {
    let m = &w.meeting;
    let a = &w.amendment;
    match which % 14 {
        0 => ("POST", "/api/meetings".into()),
        1 => ("POST", format!("/api/meetings/{m}/join")),
        2 => ("POST", format!("/api/meetings/{m}/editors")),
        3 => ("POST", format!("/api/meetings/{m}/invites/rotate")),
        4 => ("POST", format!("/api/meetings/{m}/amendments")),
        5 => ("POST", format!("/api/meetings/{m}/amendments/{a}/support")),
        6 => ("POST", format!("/api/meetings/{m}/amendments/{a}/reject")),
        7 => ("POST", format!("/api/meetings/{m}/amendments/{a}/accept")),
        8 => ("POST", format!("/api/meetings/{m}/freeze")),
        9 => ("POST", format!("/api/meetings/{m}/reopen")),
        10 => ("GET", format!("/api/meetings/{m}/versions/1?format=md")),
        11 => (
            "GET",
            format!("/api/meetings/{m}/clauses/{}/history", w.clause),
        ),
        12 => ("GET", format!("/api/meetings/{m}/report?format=html")),
        _ => ("GET", format!("/api/meetings/{m}")),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let w = world();
    let (method, path) = path(w, data[0]);
    let token = match data[1] % 5 {
        3 => None,
        4 => Some("nie-token".to_owned()),
        i => w.tokens.get(usize::from(i)).cloned(),
    };
    let mut body = data[2..].to_vec();
    // Let the fuzzer name the world's ids without guessing them.
    for (mark, value) in [
        (&b"@P"[..], &w.participant_id),
        (b"@C", &w.clause),
        (b"@I", &w.invites[0]),
        (b"@O", &w.invites[1]),
    ] {
        while let Some(at) = body.windows(2).position(|x| x == mark) {
            body.splice(at..at + 2, value.bytes());
        }
    }
    let mut request = Request::builder().method(method).uri(&path);
    if let Some(token) = &token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    let (status, bytes) = w.rt.block_on(async {
        let response = w.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body");
        (status, bytes)
    });
    assert_ne!(
        status.as_u16(),
        500,
        "{method} {path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    if status.is_client_error() || status.is_server_error() {
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON error body");
        let code: ErrorCode =
            serde_json::from_value(body["error"]["code"].clone()).expect("a known error code");
        assert_eq!(code.status(), status.as_u16(), "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Meetings made by the fuzzer do not pile up in memory.
    let _ = w.state.hub.unload_idle(Duration::ZERO);
});
