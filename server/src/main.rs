//! `oidckit-server`: a local OpenID Provider for development. See `oidckit_server` and
//! `oidckit-server --help`.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use oidckit_server::cli::{self, Command, DEFAULT_DATA_DIR, ServeArgs, USAGE};
use oidckit_server::config::Secret;
use oidckit_server::config::{DEFAULT_CONFIG_TOML, DEMO_PASSWORDS};
use oidckit_server::keys::KeyRing;
use oidckit_server::{
    Config, RunningServer, ServeOptions, ServerError, Settings, Storage, Store, password,
    start_with,
};
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
        Command::RotateKeys(args) => rotate_keys(args),
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

fn load_config(args: &ServeArgs) -> Result<Config, ServerError> {
    match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
            Config::from_toml_str(&text)
                .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))
        }
        None => Config::embedded_default(),
    }
}

/// `rotate-keys`: key rotation on the stored database (the server should be stopped; a running
/// server keeps its in-memory key ring until restarted, so live rotation is the admin page's).
fn rotate_keys(args: ServeArgs) -> Result<(), ServerError> {
    let config = load_config(&args)?;
    let alg = config.signing_alg()?;
    let dir = args.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into());
    let store = Store::open(&Storage::DataDir(dir.clone()))?;
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let now = oidckit_server::app::now();
    let (mut ring, _) = KeyRing::load_or_generate(&store, alg, now, &mut rng)?;
    let old = ring.active(alg).map(|k| k.kid.clone());
    let new = ring.rotate(&store, alg, now, &mut rng)?.kid.clone();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "rotated the {alg} signing key in {}: retired {}, new {new}",
        dir.display(),
        old.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "the retired key stays in the JWKS for {} s; a running server picks this up at its next \
         start (rotate live on the admin page's Keys tab)",
        config.server.key_rotation_grace
    )?;
    Ok(())
}

fn serve(args: ServeArgs) -> Result<(), ServerError> {
    init_logging();
    let embedded = args.config.is_none();
    let config = load_config(&args)?;
    let admin_password = args
        .admin_password
        .clone()
        .or_else(|| std::env::var("OIDCKIT_ADMIN_PASSWORD").ok())
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    let options = ServeOptions {
        www_dir: args.www_dir.clone(),
        pkg_dir: args.pkg_dir.clone(),
        admin_password,
        https: args.https,
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
        let server = start_with(settings, options).await?;
        banner(&server, embedded);
        tokio::signal::ctrl_c().await?;
        tracing::info!("interrupted: shutting down");
        server.shutdown().await
    })
}

fn banner(server: &RunningServer, embedded: bool) {
    let issuer = server.issuer();
    let rule = "=".repeat(72);
    let base = issuer.trim_end_matches('/');
    let scheme = if server.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let mut lines = vec![
        rule.clone(),
        "  oidckit-server: DEVELOPMENT ONLY. Never expose it or use it in production:".into(),
        "  it ships demo credentials and will misbehave on purpose when asked.".into(),
        rule.clone(),
        format!("  listening  {scheme}://{}", server.addr),
        format!("  issuer     {issuer}"),
        format!("  discovery  {base}/.well-known/openid-configuration"),
        format!(
            "  demo app   {base}/www/  (from {}{})",
            server.state.www_dir.display(),
            missing(&server.state.www_dir)
        ),
        format!(
            "  package    {base}/pkg/  (from {}{})",
            server.state.pkg_dir.display(),
            missing(&server.state.pkg_dir)
        ),
        format!(
            "  admin      {}",
            server
                .state
                .endpoint_url(oidckit_server::routes::discovery::paths::ADMIN)
        ),
    ];
    if let Some(pw) = server.state.admin.generated_password() {
        lines.push(format!(
            "  admin pw   {pw}   (generated now, shown once; --admin-password sets another)"
        ));
    }
    if let Some(cert) = &server.tls_cert {
        lines.push(format!(
            "  TLS cert   {}  (self-signed: trust it in your browser or OS)",
            cert.display()
        ));
    }
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

/// A note for an asset directory that does not exist (yet).
fn missing(dir: &std::path::Path) -> &'static str {
    if dir.is_dir() {
        ""
    } else {
        ": missing, 404 until built"
    }
}
