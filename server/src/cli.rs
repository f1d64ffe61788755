//! Command-line parsing (by hand: a few flags and subcommands do not need a parser crate).

use std::path::PathBuf;

use crate::error::ServerError;

/// The usage text.
pub const USAGE: &str = "\
oidckit-server: a local OpenID Provider for development (never for production)

USAGE:
    oidckit-server [OPTIONS]            start the server on 127.0.0.1
    oidckit-server rotate-keys [--data-dir DIR] [--config FILE]
                                        retire the active signing key and generate a new one in
                                        the stored database (server stopped; a running server
                                        sees it at its next start: rotate live on /admin/keys)
    oidckit-server hash-password        read a password on stdin, print its Argon2id PHC string
    oidckit-server print-config         print the embedded default configuration

OPTIONS:
    --config FILE           TOML configuration (default: the embedded demo configuration)
    --data-dir DIR          where the SQLite database lives (default: ./oidckit-data)
    --in-memory             keep all state in memory (tests); conflicts with --data-dir
    --port PORT             port on 127.0.0.1 (default: [server] port, 8080; 0 = any free port)
    --www-dir DIR           the demo app served at /www/ (default: ./www, else the repository's)
    --pkg-dir DIR           the npm package served at /pkg/ (default: ./pkg, else the repository's)
    --admin-password PW     set the /admin password (also env OIDCKIT_ADMIN_PASSWORD); default:
                            generated at first start, printed once, kept in the data directory
    --https                 serve https with a self-signed certificate for 127.0.0.1 and
                            localhost, generated at start and written to the data directory
    -h, --help              print this help

The log level follows RUST_LOG (e.g. RUST_LOG=debug); default info.
";

/// The default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "oidckit-data";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start the server.
    Serve(ServeArgs),
    /// Hash a password read from stdin.
    HashPassword,
    /// Print the embedded default configuration.
    PrintConfig,
    /// Rotate the signing key in the stored database (`--data-dir`, `--config` only).
    RotateKeys(ServeArgs),
    /// Print the usage.
    Help,
}

/// The options of [`Command::Serve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeArgs {
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--data-dir DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--in-memory`.
    pub in_memory: bool,
    /// `--port PORT`.
    pub port: Option<u16>,
    /// `--www-dir DIR`.
    pub www_dir: Option<PathBuf>,
    /// `--pkg-dir DIR`.
    pub pkg_dir: Option<PathBuf>,
    /// `--admin-password PW`.
    pub admin_password: Option<String>,
    /// `--https`.
    pub https: bool,
}

/// Parses the arguments after the program name. Flags take their value as the next argument or
/// after `=` (`--port=9000`).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, ServerError> {
    let bad = |m: String| ServerError::Config(m);
    let mut args = args.into_iter();
    let mut out = ServeArgs::default();
    let mut first = true;
    let mut rotate = false;
    while let Some(arg) = args.next() {
        if first {
            first = false;
            match arg.as_str() {
                "rotate-keys" => {
                    rotate = true;
                    continue;
                }
                "hash-password" | "print-config" => {
                    if let Some(extra) = args.next() {
                        return Err(bad(format!("unexpected argument {extra:?}")));
                    }
                    return Ok(if arg == "hash-password" {
                        Command::HashPassword
                    } else {
                        Command::PrintConfig
                    });
                }
                _ => {}
            }
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| bad(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--config" => out.config = Some(PathBuf::from(value("--config")?)),
            "--data-dir" => out.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--port" => {
                let v = value("--port")?;
                let port = v
                    .parse::<u16>()
                    .ok()
                    .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| bad(format!("--port {v:?} is not a port number")))?;
                out.port = Some(port);
            }
            "--in-memory" if inline.is_none() => out.in_memory = true,
            "--www-dir" => out.www_dir = Some(PathBuf::from(value("--www-dir")?)),
            "--pkg-dir" => out.pkg_dir = Some(PathBuf::from(value("--pkg-dir")?)),
            "--admin-password" => {
                let pw = value("--admin-password")?;
                if pw.is_empty() {
                    return Err(bad("--admin-password must not be empty".into()));
                }
                out.admin_password = Some(pw);
            }
            "--https" if inline.is_none() => out.https = true,
            _ => return Err(bad(format!("unknown argument {arg:?} (see --help)"))),
        }
    }
    if out.in_memory && out.data_dir.is_some() {
        return Err(bad("--in-memory and --data-dir exclude each other".into()));
    }
    if rotate {
        let only_store = ServeArgs {
            config: out.config.clone(),
            data_dir: out.data_dir.clone(),
            ..ServeArgs::default()
        };
        if out != only_store {
            return Err(bad("rotate-keys takes only --data-dir and --config".into()));
        }
        return Ok(Command::RotateKeys(out));
    }
    Ok(Command::Serve(out))
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    fn p(args: &[&str]) -> Result<Command, ServerError> {
        parse(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags() {
        assert_eq!(p(&[]).unwrap(), Command::Serve(ServeArgs::default()));
        assert_eq!(
            p(&["--config", "a.toml", "--data-dir=d", "--port", "0"]).unwrap(),
            Command::Serve(ServeArgs {
                config: Some("a.toml".into()),
                data_dir: Some("d".into()),
                port: Some(0),
                ..ServeArgs::default()
            })
        );
        assert_eq!(
            p(&["--in-memory", "--port=9000"]).unwrap(),
            Command::Serve(ServeArgs {
                in_memory: true,
                port: Some(9000),
                ..ServeArgs::default()
            })
        );
        assert_eq!(p(&["--help"]).unwrap(), Command::Help);
        assert_eq!(p(&["hash-password"]).unwrap(), Command::HashPassword);
        assert_eq!(p(&["print-config"]).unwrap(), Command::PrintConfig);
        assert_eq!(
            p(&[
                "--www-dir",
                "w",
                "--pkg-dir=p",
                "--admin-password",
                "pw",
                "--https"
            ])
            .unwrap(),
            Command::Serve(ServeArgs {
                www_dir: Some("w".into()),
                pkg_dir: Some("p".into()),
                admin_password: Some("pw".into()),
                https: true,
                ..ServeArgs::default()
            })
        );
        assert_eq!(
            p(&["rotate-keys", "--data-dir", "d"]).unwrap(),
            Command::RotateKeys(ServeArgs {
                data_dir: Some("d".into()),
                ..ServeArgs::default()
            })
        );
        assert_eq!(
            p(&["rotate-keys"]).unwrap(),
            Command::RotateKeys(ServeArgs::default())
        );
    }

    #[test]
    fn errors() {
        for args in [
            &["--port"][..],
            &["--port", "65536"],
            &["--port", "+80"],
            &["--port", "-1"],
            &["--in-memory", "--data-dir", "x"],
            &["--in-memory=yes"],
            &["--bogus"],
            &["serve"],
            &["hash-password", "extra"],
            &["--port", "1", "hash-password"],
            &["--admin-password", ""],
            &["--https=yes"],
            &["--www-dir"],
            &["rotate-keys", "--port", "1"],
            &["rotate-keys", "--in-memory"],
            &["--data-dir", "d", "rotate-keys"],
        ] {
            assert!(p(args).is_err(), "{args:?}");
        }
    }
}
