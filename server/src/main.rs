//! The `draftroom` binary: parses arguments, sets up logging, binds, and
//! hands over to [`draftroom_server::serve`].

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use draftroom_server::cli::{Cli, Command};
use draftroom_server::config::Config;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Help exits 0 on stdout; bad usage exits 2 on stderr.
    let cli = Cli::parse_with_env(std::env::args_os(), |k| std::env::var(k).ok())
        .unwrap_or_else(|e| e.exit());
    let config = match cli.command {
        Some(Command::Serve(args)) => Config::from(*args),
        Some(Command::Backup { out, data }) => finish("backup", backup(&data.dir, &out)),
        Some(Command::Restore { from, data }) => finish("restore", restore(&from, &data.dir)),
        None => {
            Cli::command().print_help()?;
            return Ok(());
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if config.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init();
    }
    let listen = config.listen;
    // The store first: nothing is announced as listening that cannot serve.
    let opened = draftroom_server::open(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{addr}");
    std::io::stdout().flush()?;
    draftroom_server::serve(opened, listener, draftroom_server::shutdown_signal()).await?;
    Ok(())
}

/// Prints what `draftroom backup` or `restore` did, or why it failed, and
/// exits.
fn finish(command: &str, outcome: anyhow::Result<String>) -> ! {
    match outcome {
        Ok(report) => {
            println!("{report}");
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("draftroom {command}: {e}");
            std::process::exit(1)
        }
    }
}

/// `draftroom backup [--data DIR] --out FILE`.
fn backup(data: &Path, file: &Path) -> anyhow::Result<String> {
    let contents = draftroom_server::store::backup::backup(data, file)?;
    Ok(format!("backup written to {}: {contents}", file.display()))
}

/// `draftroom restore [--data DIR] --from FILE`.
fn restore(file: &Path, data: &Path) -> anyhow::Result<String> {
    let (contents, kept) = draftroom_server::store::backup::restore(file, data)?;
    let kept = kept
        .map(|k| format!("; the store it replaced is kept as {}", k.display()))
        .unwrap_or_default();
    Ok(format!(
        "restored {} into {}: {contents}{kept}",
        file.display(),
        data.display()
    ))
}
