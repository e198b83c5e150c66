//! The `draftroom` binary: parses arguments, sets up logging, binds, and
//! hands over to [`draftroom_server::serve`].

use std::io::{IsTerminal, Write};

use anyhow::Context;
use draftroom_server::config::{Config, USAGE};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("serve") => {}
        Some(command @ ("backup" | "restore")) => {
            let code = match backup_or_restore(command, args) {
                Ok(report) => {
                    println!("{report}");
                    0
                }
                Err(e) => {
                    eprintln!("draftroom {command}: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return Ok(());
        }
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
    let config = match Config::from_args_and_env(args, |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
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

/// `draftroom backup [--data DIR] --out FILE` and
/// `draftroom restore [--data DIR] --from FILE`.
fn backup_or_restore(command: &str, args: impl Iterator<Item = String>) -> anyhow::Result<String> {
    use draftroom_server::store::backup;
    let mut data = std::env::var("DRAFTROOM_DATA").unwrap_or_else(|_| "./data".into());
    let mut file = None;
    let file_flag = if command == "backup" {
        "--out"
    } else {
        "--from"
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .with_context(|| format!("{key} needs a value"))
        };
        match key.as_str() {
            "--data" => data = value()?,
            k if k == file_flag => file = Some(value()?),
            _ => anyhow::bail!("unexpected argument {arg:?}\n\n{USAGE}"),
        }
    }
    let file =
        std::path::PathBuf::from(file.with_context(|| format!("{file_flag} FILE is required"))?);
    let data = std::path::PathBuf::from(data);
    if command == "backup" {
        let contents = backup::backup(&data, &file)?;
        Ok(format!("backup written to {}: {contents}", file.display()))
    } else {
        let (contents, kept) = backup::restore(&file, &data)?;
        let kept = kept
            .map(|k| format!("; the store it replaced is kept as {}", k.display()))
            .unwrap_or_default();
        Ok(format!(
            "restored {} into {}: {contents}{kept}",
            file.display(),
            data.display()
        ))
    }
}
