//! The few URL, e-mail and SPIFFE ID rules the identity mapping needs, written to give the answers
//! Fulcio gets from Go's `net/url`, `govalidator` and `go-spiffe` on the inputs that matter.

/// The parts of a URL that the checks compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    /// The scheme, lower-cased, if there is one.
    pub scheme: Option<String>,
    /// The host of the authority without user info, port or IPv6 brackets (Go's `Hostname()`),
    /// or `""` when there is no authority.
    pub hostname: &'a str,
}

/// Parse like Go's `url.Parse`, far enough to get the scheme and the host name. `None` for the
/// inputs Go rejects: control characters, a missing scheme before `:`, a bad port, or characters
/// that may not appear in a host.
pub(crate) fn parse_url(input: &str) -> Option<UrlParts<'_>> {
    if input.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    let without_fragment = input.split('#').next().unwrap_or_default();
    let (scheme, rest) = split_scheme(without_fragment)?;
    let rest = rest.split('?').next().unwrap_or_default();
    let Some(after_slashes) = rest.strip_prefix("//") else {
        // A relative path must not have a colon in its first segment.
        if scheme.is_none() && rest.split('/').next().is_some_and(|s| s.contains(':')) {
            return None;
        }
        return Some(UrlParts {
            scheme,
            hostname: "",
        });
    };
    let authority = after_slashes.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let hostname = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']')?;
        valid_port(after)?;
        inside
    } else {
        let (host, port) = host_port
            .rsplit_once(':')
            .map_or((host_port, ""), |(h, p)| (h, p));
        if !port.is_empty() || host_port.ends_with(':') {
            valid_port(&host_port[host.len()..])?;
        }
        host
    };
    let host_ok = hostname
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:%".contains(&b));
    host_ok.then_some(UrlParts { scheme, hostname })
}

fn valid_port(port: &str) -> Option<()> {
    match port.strip_prefix(':') {
        None if port.is_empty() => Some(()),
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Some(()),
        _ => None,
    }
}

/// Go's `getScheme`: letters first, then letters, digits, `+`, `-`, `.`, up to `:`.
fn split_scheme(input: &str) -> Option<(Option<String>, &str)> {
    for (i, b) in input.bytes().enumerate() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return None,
            b':' => return Some((Some(input[..i].to_ascii_lowercase()), &input[i + 1..])),
            _ => return Some((None, input)),
        }
    }
    Some((None, input))
}

/// Make a URI usable as a certificate's `uniformResourceIdentifier` (an `IA5String`): it must
/// parse and have a scheme; bytes outside RFC 3986's character set (spaces, non-ASCII, quotes,
/// angle brackets, braces, `|`, `\`, `^`, backquote) are percent-encoded, as Go's `URL.String()`
/// does for paths.
pub(crate) fn san_uri(input: &str) -> Option<String> {
    let parts = parse_url(input)?;
    parts.scheme.as_ref()?;
    let mut out = String::with_capacity(input.len());
    for b in input.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// Go's `url.JoinPath` on an origin (`https://github.com/`): the elements are joined with `/`
/// and the result cleaned (`path.Join`), keeping one trailing slash if the last element had one.
pub(crate) fn join_path(origin: &str, elements: &[&str]) -> String {
    let mut joined = String::from("/");
    for element in elements.iter().filter(|e| !e.is_empty()) {
        joined.push('/');
        joined.push_str(element);
    }
    let mut path = clean_path(&joined);
    if elements.last().is_some_and(|e| e.ends_with('/')) && !path.ends_with('/') {
        path.push('/');
    }
    format!("{}{}", origin.trim_end_matches('/'), path)
}

/// Go's `path.Clean` for a rooted path.
fn clean_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    format!("/{}", segments.join("/"))
}

/// Whether the string is an e-mail address by `govalidator.IsEmail`'s shape: a dot-atom local
/// part, `@`, and a domain of at least two labels.
pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = !local.is_empty()
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// Fulcio's e-mail check for the `email` issuer type: `^.+@.+\..+$` (no newlines).
pub(crate) fn fulcio_email_shape(s: &str) -> bool {
    if s.contains('\n') {
        return false;
    }
    // Some '@' with text before it and, after it, a '.' with text on both sides.
    s.char_indices().filter(|&(_, c)| c == '@').any(|(at, _)| {
        let after = &s[at + 1..];
        at > 0
            && after
                .char_indices()
                .any(|(dot, c)| c == '.' && dot > 0 && dot + 1 < after.len())
    })
}

/// A SPIFFE trust domain as `go-spiffe` accepts it: lower-case letters, digits, `.`, `-`, `_`.
pub(crate) fn valid_trust_domain(td: &str) -> bool {
    !td.is_empty()
        && td
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b))
}

/// The trust domain of a configured value, which may be a bare trust domain or a SPIFFE ID.
pub(crate) fn trust_domain_from_config(value: &str) -> Option<&str> {
    if value.contains(":/") {
        spiffe_trust_domain(value)
    } else {
        valid_trust_domain(value).then_some(value)
    }
}

/// The trust domain of a SPIFFE ID (`spiffe://td/path`), if the ID is valid: the trust domain
/// per [`valid_trust_domain`], and a path of non-empty segments of letters, digits, `.`, `-`,
/// `_`, none of them `.` or `..`, with no trailing slash.
pub(crate) fn spiffe_trust_domain(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("spiffe://")?;
    let (td, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if !valid_trust_domain(td) {
        return None;
    }
    if !path.is_empty() {
        for segment in path[1..].split('/') {
            let ok = !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
            if !ok {
                return None;
            }
        }
    }
    Some(td)
}

/// Fulcio's `validateAllowedDomain`: equal host names, or the same last two labels.
pub(crate) fn same_registrable_domain(subject: &str, issuer: &str) -> bool {
    if subject == issuer {
        return true;
    }
    let s: Vec<&str> = subject.split('.').collect();
    let i: Vec<&str> = issuer.split('.').collect();
    s.len() >= 2 && i.len() >= 2 && s[s.len() - 2..] == i[i.len() - 2..]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn url_parts() {
        let p = parse_url("HTTPS://user@Example.com:8443/a?b#c").unwrap();
        assert_eq!(p.scheme.as_deref(), Some("https"));
        assert_eq!(p.hostname, "Example.com");
        assert_eq!(parse_url("http://[::1]:80/x").unwrap().hostname, "::1");
        assert_eq!(
            parse_url("example.com").unwrap(),
            UrlParts {
                scheme: None,
                hostname: ""
            }
        );
        assert_eq!(parse_url("mailto:a@b.c").unwrap().hostname, "");
        assert!(parse_url("http://a b/").is_none());
        assert!(parse_url("http://a:x/").is_none());
        assert!(parse_url(":foo").is_none());
        assert!(parse_url("a\nb").is_none());
        assert!(parse_url("a:b/c").unwrap().scheme.is_some());
    }

    #[test]
    fn san_uris() {
        assert_eq!(san_uri("https://x/a b").as_deref(), Some("https://x/a%20b"));
        assert_eq!(san_uri("https://x/é").as_deref(), Some("https://x/%C3%A9"));
        assert_eq!(san_uri("no-scheme/path"), None);
    }

    #[test]
    fn joins_like_go() {
        assert_eq!(
            join_path(
                "https://github.com/",
                &["o/r/.github/workflows/w.yml@refs/heads/main"]
            ),
            "https://github.com/o/r/.github/workflows/w.yml@refs/heads/main"
        );
        assert_eq!(
            join_path("https://gitlab.com/", &["group/project", "/-/jobs/", "42"]),
            "https://gitlab.com/group/project/-/jobs/42"
        );
        assert_eq!(
            join_path("https://x", &["a/../../b", "./c/"]),
            "https://x/b/c/"
        );
        assert_eq!(
            join_path("https://issuer.enforce.dev", &["abc/def"]),
            "https://issuer.enforce.dev/abc/def"
        );
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("alice@example.com"));
        assert!(looks_like_email("a.b+c@sub.example.org"));
        assert!(!looks_like_email("alice"));
        assert!(!looks_like_email("alice@localhost"));
        assert!(!looks_like_email("https://user@example.com/x"));
        assert!(fulcio_email_shape("a@b.c"));
        assert!(!fulcio_email_shape("a@bc"));
        assert!(!fulcio_email_shape("@b.c"));
        assert!(!fulcio_email_shape("a@.c"));
        assert!(!fulcio_email_shape("a@b."));
        assert!(fulcio_email_shape("a@b@c.d"));
    }

    #[test]
    fn spiffe_ids() {
        assert_eq!(
            spiffe_trust_domain("spiffe://example.org/ns/prod/sa/web"),
            Some("example.org")
        );
        assert_eq!(
            spiffe_trust_domain("spiffe://example.org"),
            Some("example.org")
        );
        for bad in [
            "spiffe://Example.org/x",
            "spiffe://example.org/",
            "spiffe://example.org//x",
            "spiffe://example.org/./x",
            "spiffe://example.org/x?y",
            "SPIFFE://example.org/x",
            "https://example.org/x",
            "spiffe:///x",
        ] {
            assert_eq!(spiffe_trust_domain(bad), None, "{bad}");
        }
        assert_eq!(
            trust_domain_from_config("spiffe://example.org"),
            Some("example.org")
        );
        assert_eq!(trust_domain_from_config("example.org"), Some("example.org"));
        assert_eq!(trust_domain_from_config("Example.org"), None);
    }

    #[test]
    fn registrable_domains() {
        assert!(same_registrable_domain(
            "example.com",
            "accounts.example.com"
        ));
        assert!(same_registrable_domain(
            "users.example.com",
            "accounts.example.com"
        ));
        assert!(!same_registrable_domain(
            "example.net",
            "accounts.example.com"
        ));
        assert!(!same_registrable_domain("localhost", "127.0.0.1"));
        assert!(same_registrable_domain("127.0.0.1", "127.0.0.1"));
    }
}
