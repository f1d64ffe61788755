//! JWS (RFC 7515). In progress.
