//! PostgreSQL for the tests: a fresh database per server on the cluster
//! `tests/services.sh` started (its URL in `DRAFTROOM_TEST_POSTGRES`).
//!
//! With `DRAFTROOM_TEST_STORE=postgres`, every [`crate::Server`] stores in
//! its own new database instead of SQLite, so the whole integration suite
//! checks the PostgreSQL store against the same expectations.

use std::time::Duration;

use tokio_postgres::NoTls;

/// The variable that names the test cluster's superuser URL.
pub const URL_VAR: &str = "DRAFTROOM_TEST_POSTGRES";

/// Whether the servers of this run store in PostgreSQL.
pub fn servers_use_postgres() -> bool {
    std::env::var("DRAFTROOM_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The cluster's superuser URL; panics with how to get one.
pub fn cluster_url() -> String {
    std::env::var(URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{URL_VAR} is not set: start PostgreSQL with `source tests/services.sh && services_start` \
             (bash tests/run.sh does) or point it at a cluster of your own"
        )
    })
}

/// `url` with its database replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("a postgres:// URL with a database");
    format!("{base}/{db}")
}

/// Runs `sql` on the cluster's `postgres` database, on a runtime of its
/// own (callers may or may not be inside one).
fn admin(sql: String) {
    let url = cluster_url();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (client, conn) = tokio::time::timeout(
                Duration::from_secs(10),
                tokio_postgres::connect(&url, NoTls),
            )
            .await
            .expect("PostgreSQL answers within 10 s")
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            let driver = tokio::spawn(conn);
            client
                .batch_execute(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            drop(client);
            let _ = driver.await;
        });
    })
    .join()
    .expect("the admin statement ran");
}

/// A new empty database on the test cluster; answers its URL.
pub fn fresh_database() -> String {
    let name = format!("draftroom_{}", uuid::Uuid::new_v4().simple());
    admin(format!("CREATE DATABASE {name}"));
    with_database(&cluster_url(), &name)
}

/// Runs one query on `url` and answers the first column of every row as
/// text, for tests that compare what PostgreSQL holds.
pub fn query_texts(url: &str, sql: &str) -> Vec<Option<String>> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, NoTls)
                .await
                .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
            let driver = tokio::spawn(conn);
            let rows = client
                .simple_query(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            drop(client);
            let _ = driver.await;
            rows.into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
                    _ => None,
                })
                .collect()
        })
    })
    .join()
    .expect("the query ran")
}
