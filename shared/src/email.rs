//! Email syntax and domain classification (free-mail, disposable).
//!
//! The lists come from maintained sources: the `mailchecker` crate for
//! disposable domains and the `free-email-domains` list (vendored, see
//! `data/README.md`) for free-mail providers. Without the `email-lists`
//! feature (the widget) `classify` answers `None` and the check is deferred.

use crate::text::normalize_domain;

/// Longest address SMTP allows (RFC 5321 path limit minus the brackets).
pub(crate) const MAX_EMAIL: usize = 254;

/// The normalized domain of a syntactically plausible address, or `None`.
pub(crate) fn domain(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty()
        || local.chars().count() > 64
        || local.chars().any(|c| c.is_whitespace() || c.is_control())
        || local.contains('@') && !local.starts_with('"')
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
    {
        return None;
    }
    let d = normalize_domain(domain);
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 || d.len() > 253 {
        return None;
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if !labels.iter().all(label_ok) {
        return None;
    }
    // A top-level domain is never all digits (that is an IP address, not a mailbox domain).
    if labels
        .last()
        .is_some_and(|t| t.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    Some(d)
}

/// What the lists say about a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainClass {
    pub free: bool,
    pub disposable: bool,
}

/// Classifies a normalized domain, or `None` when this build has no lists.
#[cfg(feature = "email-lists")]
pub fn classify(domain: &str) -> Option<DomainClass> {
    let ascii = if domain.is_ascii() {
        std::borrow::Cow::Borrowed(domain)
    } else {
        std::borrow::Cow::Owned(idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_owned()))
    };
    Some(DomainClass {
        free: FREE.binary_search(&ascii.as_ref()).is_ok(),
        disposable: disposable(&ascii),
    })
}

/// mailchecker's verdict (`!is_valid("a@{domain}")`), made the way it makes
/// it: an address it finds malformed counts as disposable, and so does any
/// domain whose suffix of two labels or more (`mail.example.com`,
/// `example.com`) is on its list; the list is searched, not scanned.
#[cfg(feature = "email-lists")]
fn disposable(ascii: &str) -> bool {
    if !fast_chemail::is_valid_email(&format!("a@{ascii}")) {
        return true;
    }
    let lower = ascii.to_lowercase();
    let mut rest = lower.as_str();
    // Every suffix with a dot in it: `a.b.c` -> `a.b.c`, `b.c`.
    loop {
        if !rest.contains('.') {
            return false;
        }
        if DISPOSABLE.binary_search(&rest).is_ok() {
            return true;
        }
        match rest.split_once('.') {
            Some((_, tail)) => rest = tail,
            None => return false,
        }
    }
}

#[cfg(not(feature = "email-lists"))]
pub fn classify(_domain: &str) -> Option<DomainClass> {
    None
}

#[cfg(feature = "email-lists")]
static FREE: &[&str] = &include!(concat!(env!("OUT_DIR"), "/free_email_domains.rs"));

#[cfg(feature = "email-lists")]
static DISPOSABLE: &[&str] = &include!(concat!(env!("OUT_DIR"), "/disposable_domains.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    /// The sorted copy of mailchecker's list gives the crate's own verdict:
    /// on listed domains (every 7th: the crate's own check scans the list,
    /// so all of them would take a while), subdomains, and ordinary domains.
    #[cfg(all(feature = "email-lists", not(target_arch = "wasm32")))]
    #[test]
    fn disposable_is_what_mailchecker_says() {
        let listed = mailchecker::blacklist();
        let mut domains: Vec<String> = listed.iter().step_by(7).map(|d| (*d).to_owned()).collect();
        domains.extend(listed.iter().step_by(50).map(|d| format!("inbox.{d}")));
        domains.extend(
            [
                "gmail.com",
                "northwind.example",
                "Mailinator.COM",
                "a.b.c.d.e",
                "x-y.de",
                "localhost",
                "-bad.com",
                "a..b",
            ]
            .map(str::to_owned),
        );
        for d in &domains {
            assert_eq!(
                disposable(d),
                !mailchecker::is_valid(&format!("a@{d}")),
                "{d}"
            );
        }
    }

    #[test]
    fn accepts_real_addresses_and_normalizes_the_domain() {
        assert_eq!(domain("Ana@Example.COM").as_deref(), Some("example.com"));
        assert_eq!(domain("jörg@bücher.de").as_deref(), Some("bücher.de"));
        assert_eq!(
            domain("x@ｅｘａｍｐｌｅ．com").as_deref(),
            Some("example.com")
        );
    }

    #[test]
    fn rejects_what_cannot_receive_mail() {
        for bad in [
            "",
            "a",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
            "a@1.2.3.4",
        ] {
            assert_eq!(domain(bad), None, "{bad}");
        }
    }

    #[cfg(feature = "email-lists")]
    #[test]
    fn knows_free_and_disposable_providers() {
        let gmail = classify("gmail.com");
        assert_eq!(
            gmail,
            Some(DomainClass {
                free: true,
                disposable: false
            })
        );
        assert_eq!(classify("mailinator.com").map(|c| c.disposable), Some(true));
        assert_eq!(
            classify("cloudflare.com"),
            Some(DomainClass {
                free: false,
                disposable: false
            })
        );
    }
}
