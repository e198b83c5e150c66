//! A Redis server of one test's own (started by `tests/services.sh`), for
//! tests that kill and restart it while the others keep the shared one;
//! stopped and removed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A Redis on a free loopback port, with nothing on disk.
pub struct OwnRedis {
    /// Its URL, `redis://127.0.0.1:PORT/`.
    pub url: String,
    /// The temporary directory holding its configuration.
    dir: PathBuf,
    /// `redis-server` and its configuration file, to start it again.
    bin: String,
    conf: String,
    /// The process started first (by the script), if it still runs.
    first: Option<u32>,
    /// A process started again by [`OwnRedis::restart`].
    again: Option<Child>,
}

impl OwnRedis {
    /// Starts one (installing `redis-server` with apt if missing).
    pub fn start() -> OwnRedis {
        let [url, dir, bin, conf, pid] = crate::services::start_alone(
            "redis",
            [
                "DRAFTROOM_TEST_REDIS",
                "DRAFTROOM_TEST_SERVICES_DIR",
                "DRAFTROOM_TEST_REDIS_BIN",
                "DRAFTROOM_TEST_REDIS_CONF",
                "DRAFTROOM_TEST_REDIS_PID",
            ],
        );
        OwnRedis {
            url,
            dir: dir.into(),
            bin,
            conf,
            first: pid.parse().ok(),
            again: None,
        }
    }

    /// Kills it (SIGKILL): whatever it held is gone.
    pub fn kill9(&mut self) {
        if let Some(pid) = self.first.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        if let Some(mut child) = self.again.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Until the port is free again.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill9();
        let child = Command::new(&self.bin)
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server again");
        self.again = Some(child);
        let port = self
            .url
            .rsplit(':')
            .next()
            .unwrap_or("")
            .trim_end_matches('/');
        for _ in 0..100 {
            if std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("Redis did not come back on port {port}");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
