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

/// Runs `sql` (one or more statements) on the database at `url`, on a
/// thread and runtime of its own (callers may or may not be inside one);
/// answers the first column of every row, as text.
pub fn query_texts(url: &str, sql: &str) -> Vec<Option<String>> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
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

/// A new empty database on the test cluster; answers its URL.
pub fn fresh_database() -> String {
    fresh_database_on(&cluster_url())
}

/// A new empty database on the cluster at `url`; answers its URL.
pub fn fresh_database_on(url: &str) -> String {
    let name = format!("draftroom_{}", uuid::Uuid::new_v4().simple());
    query_texts(url, &format!("CREATE DATABASE {name}"));
    with_database(url, &name)
}

/// A PostgreSQL server of one test's own (started by `tests/services.sh`),
/// for tests that stop or kill it while the others keep the shared one;
/// stopped and removed on drop.
pub struct OwnPostgres {
    /// Its superuser URL (database `postgres`).
    pub url: String,
    /// The temporary directory holding it.
    dir: std::path::PathBuf,
    /// Its data directory (the postmaster's pid is in `postmaster.pid`).
    data: std::path::PathBuf,
}

impl OwnPostgres {
    /// Starts one on a free loopback port.
    pub fn start() -> OwnPostgres {
        let [url, dir, data] = crate::services::start_alone(
            "postgres",
            [
                "DRAFTROOM_TEST_POSTGRES",
                "DRAFTROOM_TEST_SERVICES_DIR",
                "DRAFTROOM_TEST_PG_DATA",
            ],
        );
        OwnPostgres {
            url,
            dir: dir.into(),
            data: data.into(),
        }
    }

    /// The postmaster's process id now.
    pub fn pid(&self) -> u32 {
        std::fs::read_to_string(self.data.join("postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
            .expect("PostgreSQL's pid file")
    }

    /// Sends the postmaster and every server process of the cluster a
    /// signal (`STOP`, `CONT`): the whole server pauses or goes on.
    pub fn signal_all(&self, signal: &str) {
        let postmaster = self.pid();
        let mut pids = children(postmaster);
        pids.push(postmaster);
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .args(pids.iter().map(u32::to_string))
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} PostgreSQL");
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        if let Ok(pid) = std::panic::catch_unwind(|| self.pid()) {
            let mut paused = children(pid);
            paused.push(pid);
            let _ = std::process::Command::new("kill")
                .arg("-CONT")
                .args(paused.iter().map(u32::to_string))
                .status();
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
            for _ in 0..300 {
                // Gone, or a zombie waiting for a parent to reap it.
                let gone = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .map_or(true, |stat| stat.contains(") Z "));
                if gone {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The processes whose parent is `parent`, read off `/proc`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // pid (comm) state ppid …: comm may hold spaces.
                    let after = &stat[stat.rfind(')')? + 2..];
                    after.split(' ').nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}
