//! User passwords: Argon2id PHC strings (RFC 9106; the PHC string format), hashed and checked
//! with RustCrypto's `argon2`.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::ServerError;

/// Hashes `password` with Argon2id and the crate's default parameters (RFC 9106 §4's second
/// recommended option scaled to OWASP's m=19 MiB, t=2, p=1) and a random 16-byte salt from the
/// operating system.
pub fn hash(password: &str) -> Result<String, ServerError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ServerError::Config(format!("hashing the password failed: {e}")))
}

/// Whether `password` matches the PHC string `phc` (constant-time comparison inside `argon2`).
/// A malformed PHC string never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
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
    use crate::config::{Config, DEMO_PASSWORDS};

    #[test]
    fn hash_then_verify() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify("correct horse", &phc));
        assert!(!verify("correct horse ", &phc));
        assert!(!verify("", &phc));
        assert_ne!(hash("correct horse").unwrap(), phc, "salts must differ");
        assert!(!verify("x", "not a phc string"));
        assert!(!verify("x", ""));
    }

    /// The embedded demo users' passwords are the ones the banner prints.
    #[test]
    fn demo_users_passwords() {
        let c = Config::embedded_default().unwrap();
        let user = |name: &str| {
            c.users
                .iter()
                .find(|u| u.username == name)
                .unwrap()
                .password_hash
                .clone()
        };
        assert_eq!(DEMO_PASSWORDS.len(), c.users.len());
        for (name, pw) in DEMO_PASSWORDS {
            assert!(verify(pw, &user(name)), "{name}");
        }
        assert!(!verify("bob-demo-password", &user("alice")));
    }
}
