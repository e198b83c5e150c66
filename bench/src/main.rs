//! `draftroom-load`: a load generator for Draftroom and any y-websocket
//! server, so the same scenario runs against both and the figures compare.
//!
//! ```text
//! draftroom-load fanout --target draftroom=http://127.0.0.1:8080 --followers 100,1000 \
//!     [--keystrokes 200] [--rate 20] [--server-pid PID] [--json out.json]
//! draftroom-load history --target y-websocket=ws://127.0.0.1:1234 [--trace FILE] [--joiners 1000]
//! draftroom-load --help | draftroom-load SCENARIO --help
//! ```
//! One module per scenario, each with its own options and its own report;
//! this file only parses the command line and hands it over.

mod audience;
mod ceiling;
mod client;
mod cluster;
mod common;
mod fanout;
mod history;
mod meetings;
mod proc;
mod soak;
mod target;
mod trace;

use clap::{Parser, Subcommand};

/// Load generator for Draftroom and any y-websocket server: the same
/// scenario against either, so the figures compare.
#[derive(Debug, Parser)]
#[command(name = "draftroom-load", version)]
#[command(
    subcommand_value_name = "SCENARIO",
    subcommand_help_heading = "Scenarios"
)]
#[command(
    after_help = "Targets: draftroom=http://HOST:PORT or y-websocket=ws://HOST:PORT. \
bench/run.sh runs the scenarios as BENCHMARKS.md reports them, starting Draftroom and, \
where the scenario allows, the stock y-websocket server beside it."
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

/// The scenarios.
#[derive(Debug, Subcommand)]
enum Scenario {
    Fanout(fanout::Args),
    History(history::Args),
    Meetings(meetings::Args),
    Soak(soak::Args),
    Audience(audience::Args),
    Ceiling(ceiling::Args),
    Cluster(cluster::Args),
    #[command(hide = true)]
    ClusterPart(cluster::Part),
    #[command(hide = true)]
    RawServer(ceiling::RawServer),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().scenario {
        Scenario::Fanout(args) => args.run().await,
        Scenario::History(args) => args.run().await,
        Scenario::Meetings(args) => args.run().await,
        Scenario::Soak(args) => args.run().await,
        Scenario::Audience(args) => args.run().await,
        Scenario::Ceiling(args) => args.run().await,
        Scenario::Cluster(args) => args.run().await,
        Scenario::ClusterPart(args) => args.run().await,
        Scenario::RawServer(args) => args.run(),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Scenario};

    fn parse(line: &str) -> Scenario {
        let words = std::iter::once("draftroom-load").chain(line.split_whitespace());
        match Cli::try_parse_from(words) {
            Ok(cli) => cli.scenario,
            Err(e) => panic!("{line}: {e}"),
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Every command line `bench/run.sh` writes parses, to what it meant.
    #[test]
    fn run_sh_command_lines_parse() {
        let t = "--target draftroom=http://127.0.0.1:1 --server-pid 7";
        let Scenario::Fanout(a) = parse(&format!(
            "fanout {t} --followers 1000 --keystrokes 2000 --rate 100 --slow-percent 1 --json f.json"
        )) else {
            panic!("fanout")
        };
        assert_eq!(
            (a.followers, a.keystrokes, a.rate, a.slow_percent),
            (vec![1000], 2000, 100.0, 1.0)
        );
        assert_eq!(a.common.server_pid, Some(7));
        assert_eq!(a.common.json.as_deref(), Some("f.json".as_ref()));
        let Scenario::Audience(a) = parse(&format!(
            "audience {t} --observers 50 --time-cap-secs 30 --label after --json a.json"
        )) else {
            panic!("audience")
        };
        assert_eq!((a.observers, a.time_cap_secs), (vec![50], 30.0));
        assert_eq!(a.label, "after");
        let Scenario::Ceiling(a) = parse("ceiling --followers 1000") else {
            panic!("ceiling")
        };
        assert_eq!(a.followers, vec![1000]);
        let Scenario::Soak(a) = parse(&format!(
            "soak {t} --cycles 20000 --meetings 100 --workers 16 --keystrokes 5 --rounds 20 --settle-secs 8 --json s.json"
        )) else {
            panic!("soak")
        };
        assert_eq!(
            (a.cycles, a.meetings, a.workers, a.keystrokes, a.rounds),
            (20000, 100, 16, 5, 20)
        );
        assert_eq!((a.settle_secs, a.new_clients), (8, false));
        let Scenario::Meetings(a) = parse(
            "meetings --target y-websocket=ws://127.0.0.1:2 --meetings 200 --keystrokes 50 --rate 5",
        ) else {
            panic!("meetings")
        };
        assert_eq!((a.meetings, a.keystrokes, a.rate), (200, 50, 5.0));
        assert_eq!(a.common.target.name(), "y-websocket");
        let Scenario::History(a) = parse(&format!(
            "history {t} --trace x.json.gz --joiners 50 --json h.json"
        )) else {
            panic!("history")
        };
        assert_eq!((a.trace.to_str(), a.joiners), (Some("x.json.gz"), 50));
        let Scenario::RawServer(_) = parse("raw-server 100 5") else {
            panic!("raw-server")
        };
    }

    /// The defaults are the ones the hand-written parser had.
    #[test]
    fn defaults() {
        let t = "--target draftroom=http://127.0.0.1:1";
        let Scenario::Fanout(a) = parse(&format!("fanout {t}")) else {
            panic!()
        };
        assert_eq!(
            (a.followers, a.keystrokes, a.rate, a.slow_percent),
            (vec![100], 200, 20.0, 0.0)
        );
        assert_eq!((a.common.server_pid, a.common.json), (None, None));
        let Scenario::History(a) = parse(&format!("history {t}")) else {
            panic!()
        };
        assert_eq!(a.trace, std::path::Path::new(crate::history::DEFAULT_TRACE));
        assert_eq!((a.joiners, a.unload_wait_secs), (1000, 3.0));
        let Scenario::Meetings(a) = parse(&format!("meetings {t}")) else {
            panic!()
        };
        assert_eq!((a.meetings, a.keystrokes, a.rate), (200, 200, 20.0));
        let Scenario::Soak(a) = parse(&format!("soak {t} --server-pid 1")) else {
            panic!()
        };
        assert_eq!(
            (a.cycles, a.meetings, a.workers, a.keystrokes),
            (3000, 200, 16, 200)
        );
        assert_eq!((a.settle_secs, a.rounds, a.new_clients), (8, 20, false));
        let Scenario::Audience(a) = parse(&format!("audience {t}")) else {
            panic!()
        };
        assert_eq!(
            (a.observers, a.participants, a.concurrency, a.time_cap_secs),
            (vec![1000], 5, 32, 600.0)
        );
        assert_eq!(a.label, "draftroom");
        let Scenario::Ceiling(a) = parse("ceiling") else {
            panic!()
        };
        assert_eq!(a.followers, vec![100]);
    }

    #[test]
    fn lists_flags_and_mistakes() {
        let t = "--target draftroom=http://127.0.0.1:1";
        let Scenario::Fanout(a) = parse(&format!("fanout {t} --followers 100,1000,5000")) else {
            panic!()
        };
        assert_eq!(a.followers, vec![100, 1000, 5000]);
        let cli = Cli::try_parse_from([
            "draftroom-load",
            "fanout",
            "--target",
            "draftroom=http://h:1",
            "--followers",
            "100, 1000",
        ]);
        let Ok(Cli {
            scenario: Scenario::Fanout(a),
        }) = cli
        else {
            panic!("{cli:?}")
        };
        assert_eq!(a.followers, vec![100, 1000]);
        for (line, yes) in [
            ("", true),
            (" yes", true),
            (" 1", true),
            (" no", false),
            (" false", false),
        ] {
            let Scenario::Soak(a) = parse(&format!("soak {t} --server-pid 1 --new-clients{line}"))
            else {
                panic!()
            };
            assert_eq!(a.new_clients, yes, "--new-clients{line}");
        }
        let fails = |line: &str| {
            let words = std::iter::once("draftroom-load").chain(line.split_whitespace());
            Cli::try_parse_from(words).is_err()
        };
        assert!(fails(&format!("soak {t}")), "soak needs --server-pid");
        assert!(fails("fanout"), "--target is required");
        assert!(fails("fanout --target nats=tcp://h:1"));
        assert!(
            fails(&format!("meetings {t} --followers 10")),
            "not a meetings option"
        );
        assert!(
            fails(&format!("fanout {t} --trace x")),
            "not a fanout option"
        );
        assert!(fails("nonsense"));
    }
}
