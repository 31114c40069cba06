//! Where a user may be sent after logging in: a path on this site, never
//! another origin (open-redirect protection for `next` and return targets).

/// `Some(path)` when `target` is a same-origin absolute path.
pub fn safe_local_path(target: &str) -> Option<&str> {
    let ok = target.starts_with('/')
        && !target.starts_with("//")
        && !target.starts_with("/\\")
        && target.len() <= 2048
        && !target.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(
            safe_local_path("/models/acme/bert?tab=1"),
            Some("/models/acme/bert?tab=1")
        );
    }

    #[test]
    fn other_origins_are_refused() {
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/\t/evil.example",
            "/ok\r\nSet-Cookie: x=1",
        ] {
            assert_eq!(safe_local_path(bad), None, "{bad:?}");
        }
    }
}
