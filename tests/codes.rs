//! Golden test: the TypeScript `ErrorCode` union in `pkg/index.d.ts` (and the CommonJS copy)
//! lists exactly the codes of `oidckit::Error` (design.md §3), and the JS error classes exist
//! for each code in `pkg/src/errors.js`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use oidckit::Error;

fn union_codes(dts: &str) -> Vec<String> {
    let start = dts
        .find("export type ErrorCode =")
        .expect("ErrorCode union present");
    let rest = &dts[start..];
    let end = rest.find(';').expect("union terminated");
    rest[..end]
        .split('|')
        .skip(1)
        .map(|s| s.trim().trim_matches('\'').trim_matches('"').to_owned())
        .collect()
}

#[test]
fn typescript_error_code_union_matches_rust() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut checked = 0;
    for file in ["pkg/index.d.ts", "pkg/index.d.cts"] {
        let path = format!("{root}/{file}");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert_ne!(file, "pkg/index.d.ts", "{path} is missing");
            println!("skipped {file}: not present");
            continue;
        };
        let mut ts = union_codes(&text);
        let mut rust: Vec<String> = Error::ALL_CODES.iter().map(|s| (*s).to_owned()).collect();
        ts.sort();
        rust.sort();
        assert_eq!(
            ts, rust,
            "{file}: ErrorCode union differs from Error::ALL_CODES"
        );
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn every_code_has_a_js_error_class() {
    let js = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/src/errors.js"))
        .expect("pkg/src/errors.js");
    for code in Error::ALL_CODES {
        assert!(
            js.contains(code),
            "pkg/src/errors.js does not mention {code}"
        );
    }
}
