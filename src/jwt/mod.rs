//! JWT (RFC 7519). In progress.
