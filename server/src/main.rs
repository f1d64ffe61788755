//! `oidckit-server`: a local OpenID Provider for development. See `oidckit_server` and
//! `oidckit-server --help`.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use oidckit_server::cli::{self, Command, DEFAULT_DATA_DIR, ServeArgs, USAGE};
use oidckit_server::config::{DEFAULT_CONFIG_TOML, DEMO_PASSWORDS};
use oidckit_server::{Config, RunningServer, ServerError, Settings, Storage, password, start};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("oidckit-server: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            print!("{USAGE}");
            Ok(())
        }
        Command::PrintConfig => {
            print!("{DEFAULT_CONFIG_TOML}");
            Ok(())
        }
        Command::HashPassword => hash_password(),
        Command::Serve(args) => serve(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oidckit-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn hash_password() -> Result<(), ServerError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']);
    if pw.is_empty() {
        return Err(ServerError::Config(
            "the password read on stdin is empty".into(),
        ));
    }
    let phc = password::hash(pw)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{phc}")?;
    Ok(())
}

fn init_logging() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .try_init();
}

fn serve(args: ServeArgs) -> Result<(), ServerError> {
    init_logging();
    let embedded = args.config.is_none();
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
            Config::from_toml_str(&text)
                .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))?
        }
        None => Config::embedded_default()?,
    };
    let storage = if args.in_memory {
        Storage::InMemory
    } else {
        Storage::DataDir(args.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()))
    };
    let settings = Settings {
        port: args.port.unwrap_or(config.server.port),
        config,
        storage,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = start(settings).await?;
        banner(&server, embedded);
        tokio::signal::ctrl_c().await?;
        tracing::info!("interrupted: shutting down");
        server.shutdown().await
    })
}

fn banner(server: &RunningServer, embedded: bool) {
    let issuer = server.issuer();
    let rule = "=".repeat(72);
    let mut lines = vec![
        rule.clone(),
        "  oidckit-server: DEVELOPMENT ONLY. Never expose it or use it in production:".into(),
        "  it ships demo credentials and will misbehave on purpose when asked.".into(),
        rule.clone(),
        format!("  listening  http://{}", server.addr),
        format!("  issuer     {issuer}"),
        format!(
            "  discovery  {}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
    ];
    lines.push(match server.state.store.location() {
        Storage::InMemory => "  state      in memory (lost at exit)".into(),
        Storage::DataDir(d) => format!("  state      {}", d.display()),
    });
    if server.state.generated_key {
        lines.push(format!(
            "  keys       generated a new {} signing key",
            server.state.signing_alg
        ));
    }
    if embedded {
        lines.push("  config     embedded demo configuration (print-config shows it)".into());
        for (user, pw) in DEMO_PASSWORDS {
            lines.push(format!("  demo user  {user} / {pw}"));
        }
    }
    lines.push(rule);
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = out.flush();
}
