//! Meeting ownership on PostgreSQL, at the store: two writers on one
//! database stand for two processes. One claims a meeting, the other sees
//! it held; once the lease expires the other takes it over with a higher
//! epoch, and from then on nothing the first writes under its old lease
//! commits, while the new owner's writes do.

use std::time::Duration;

use draftroom_server::store::{
    self, DbError, Fence, PostgresOptions, Store, StoreCloser, StoreError, owners,
    owners::Ownership,
};
use draftroom_tests::postgres::{fresh_database, query_texts};
use uuid::Uuid;

fn open(url: &str) -> (Store, StoreCloser) {
    Store::open_postgres(&PostgresOptions::new(url)).expect("open the PostgreSQL store")
}

async fn claim(store: &Store, meeting: Uuid, process: Uuid, lease_ms: i64) -> Ownership {
    let address = format!("127.0.0.1:{}", process.as_u128() % 60000);
    store
        .call(move |c| owners::claim_meeting(c, meeting, process, &address, lease_ms))
        .await
        .unwrap()
}

async fn append(store: &Store, seq: u64) -> Result<(), StoreError> {
    store
        .call(move |c| store::append_update(c, "m/draft", seq, &[seq as u8]))
        .await
}

#[tokio::test]
async fn a_lost_lease_commits_nothing_and_the_new_owner_writes_on() {
    let url = fresh_database();
    let ((a, close_a), (b, close_b)) = (open(&url), open(&url));
    let (pa, pb, meeting) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(
        claim(&a, meeting, pa, 400).await,
        Ownership::NoSuchMeeting,
        "no lease on a meeting that does not exist"
    );
    a.call(move |c| {
        store::insert_meeting(
            c,
            &store::MeetingRecord {
                id: meeting,
                title: "Misja".into(),
                created_at: 0,
                participant_invite_hash: vec![0],
                observer_invite_hash: vec![1],
                language: "pl".into(),
                stage: None,
                workshop: false,
            },
        )
    })
    .await
    .unwrap();

    let Ownership::Mine { epoch: first } = claim(&a, meeting, pa, 400).await else {
        panic!("a free meeting is claimed");
    };
    match claim(&b, meeting, pb, 400).await {
        Ownership::Theirs { process, epoch, .. } => assert_eq!((process, epoch), (pa, first)),
        mine => panic!("a held lease is not taken: {mine:?}"),
    }
    // Claiming again while holding it keeps the epoch.
    assert_eq!(
        claim(&a, meeting, pa, 400).await,
        Ownership::Mine { epoch: first }
    );
    let old = a.fenced(Fence {
        meeting,
        process: pa,
        epoch: first,
    });
    append(&old, 1).await.expect("the owner writes");

    // The first process is paused past its lease; the second takes over.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let Ownership::Mine { epoch: second } = claim(&b, meeting, pb, 10_000).await else {
        panic!("an expired lease is taken over");
    };
    assert_eq!(second, first + 1, "a takeover raises the epoch");

    // The first wakes up: its writes are refused, none commits.
    let refused = append(&old, 2).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::Db(DbError::Fenced)),
        "{refused:?}"
    );
    let renewed = a
        .call(move |c| owners::renew_lease(c, meeting, pa, first, 400))
        .await
        .unwrap();
    assert!(!renewed, "a lost lease is not renewed");
    let new = b.fenced(Fence {
        meeting,
        process: pb,
        epoch: second,
    });
    append(&new, 2).await.expect("the new owner writes");
    // Unfenced writes of other meetings on the first process go on.
    a.call(|c| store::append_update(c, "other/draft", 1, b"x"))
        .await
        .unwrap();

    let rows = query_texts(
        &url,
        "SELECT encode(data, 'hex') FROM room_updates WHERE room = 'm/draft' ORDER BY seq",
    );
    assert_eq!(
        rows,
        [Some("01".to_owned()), Some("02".to_owned())],
        "seq 2 is the new owner's, nothing of the old one's after the takeover"
    );

    // Released, the lease is free at once.
    b.call(move |c| owners::release_lease(c, meeting, pb, second))
        .await
        .unwrap();
    assert_eq!(
        claim(&a, meeting, pa, 400).await,
        Ownership::Mine { epoch: second + 1 }
    );
    drop((a, b, old, new));
    close_a.close();
    close_b.close();
}

#[tokio::test]
async fn every_process_of_a_database_gets_the_same_secret() {
    let url = fresh_database();
    let ((a, _ca), (b, _cb)) = (open(&url), open(&url));
    let first = a
        .call(|c| owners::cluster_secret(c, b"first"))
        .await
        .unwrap();
    let second = b
        .call(|c| owners::cluster_secret(c, b"second"))
        .await
        .unwrap();
    assert_eq!(
        (first.as_slice(), second.as_slice()),
        (&b"first"[..], &b"first"[..])
    );
}

/// A job that fails (here: a sequence number taken) fails alone, whether it
/// is its batch's only job or shares the batch with others, and the store
/// goes on writing after it.
#[tokio::test]
async fn a_failing_job_fails_alone_on_postgres_alone_or_in_a_batch() {
    let url = fresh_database();
    let (s, _close) = open(&url);
    append(&s, 1).await.unwrap();
    // On its own.
    let dup = append(&s, 1).await.unwrap_err();
    assert!(
        dup.to_string().contains("room_updates"),
        "the duplicate is refused as such: {dup}"
    );
    append(&s, 2).await.unwrap();
    // Beside others, submitted together.
    let (a, b, c) = tokio::join!(append(&s, 3), append(&s, 2), append(&s, 4));
    assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
    assert!(b.is_err());
    append(&s, 5).await.unwrap();
    let room = s.call(|c| store::load_room(c, "m/draft")).await.unwrap();
    let seqs: Vec<u64> = room.updates.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
    assert_eq!(
        query_texts(&url, "SELECT count(*) FROM room_updates"),
        vec![Some("5".to_owned())]
    );
}
