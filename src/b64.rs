//! Strict base64url (RFC 4648 §5, without padding), as JOSE requires (RFC 7515 §2, RFC 7515 App. C).
//!
//! Decoding refuses padding, whitespace, characters outside the URL-safe alphabet and
//! non-canonical trailing bits, so a token has exactly one encoding (security.md row 14).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Error, Result};

/// Encodes bytes as base64url without padding (RFC 7515 §2 "Base64url Encoding").
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes strict base64url: no padding, no whitespace, canonical trailing bits.
///
/// `what` names the input in the error message; `err` builds the error of the caller's kind.
pub fn decode_with(input: &str, what: &str, err: fn(String) -> Error) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(input.as_bytes())
        .map_err(|_| err(format!("{what} is not valid base64url")))
}

/// Decodes strict base64url, reporting failures as [`Error::JwsInvalid`].
pub fn decode(input: &str, what: &str) -> Result<Vec<u8>> {
    decode_with(input, what, Error::JwsInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(decode("-_8", "x").ok(), Some(vec![0xfb, 0xff]));
        // padding, standard alphabet, whitespace, non-canonical trailing bits
        for bad in ["-_8=", "+/8", "-_8 ", " -_8", "-_9", "a", "ab\n"] {
            assert_eq!(
                decode(bad, "x").map_err(|e| e.code()),
                Err("ERR_JWS_INVALID"),
                "{bad:?}"
            );
        }
    }
}
