//! Who may call the API from a browser, and the CORS headers each answer gets.
//!
//! Browsers send some cross-origin posts without a preflight (`text/plain`),
//! so CORS headers alone never keep a lead out: the Worker checks `Origin`
//! itself before it stores anything ([`Caller::check`]). The headers only
//! decide what a page may *read*:
//! - the public playbook is public: any page may read it (`*`), so the form
//!   renders wherever the embed tag is pasted;
//! - answers to posts echo the caller's origin, errors included, so a widget
//!   on a page that is not allowed can show the marketer *why* (`403` with a
//!   message naming the origin) instead of an opaque network error.

use baton::Playbook;
use worker::{Headers, Request};

use crate::error::AppError;

/// How long a browser may reuse a preflight answer.
const PREFLIGHT_MAX_AGE_SECS: &str = "86400";

/// The CORS headers one response carries.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    allow_origin: Option<String>,
    /// The answer depends on `Origin`, so shared caches must key on it.
    vary_origin: bool,
}

impl Cors {
    /// Readable by any page: the public playbook.
    pub fn any() -> Self {
        Cors {
            allow_origin: Some("*".into()),
            vary_origin: false,
        }
    }

    /// Readable by the page that asked (API answers).
    pub fn echo(req: &Request) -> Self {
        Cors {
            allow_origin: request_origin(req),
            vary_origin: true,
        }
    }

    pub fn apply(&self, headers: &Headers) {
        if let Some(o) = &self.allow_origin {
            let _ = headers.set("access-control-allow-origin", o);
        }
        if self.vary_origin {
            let _ = headers.append("vary", "Origin");
        }
    }

    /// Extra headers of a preflight answer.
    pub fn apply_preflight(&self, headers: &Headers) {
        self.apply(headers);
        let _ = headers.set("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
        let _ = headers.set(
            "access-control-allow-headers",
            "content-type, idempotency-key",
        );
        let _ = headers.set("access-control-max-age", PREFLIGHT_MAX_AGE_SECS);
    }
}

/// The `Origin` header, if the caller sent one (browsers do on every
/// cross-origin request and on same-origin posts; curl and servers do not).
pub fn request_origin(req: &Request) -> Option<String> {
    req.headers()
        .get("origin")
        .ok()
        .flatten()
        .filter(|o| !o.is_empty())
}

/// The origin of this Worker as the caller reached it.
fn own_origin(req: &Request) -> Option<String> {
    req.url().ok().map(|u| u.origin().ascii_serialization())
}

/// Where a request came from, as far as the origin policy cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No `Origin`: not a browser page (curl, a server, a CRM import).
    NoOrigin,
    /// A page served by this Worker (the demo page).
    SameOrigin,
    /// Any other page; allowed only if the form lists it.
    Page(String),
}

impl Caller {
    pub fn of(req: &Request) -> Self {
        match request_origin(req) {
            None => Caller::NoOrigin,
            Some(o) if Some(o.as_str()) == own_origin(req).as_deref() => Caller::SameOrigin,
            Some(o) => Caller::Page(o),
        }
    }

    /// Refuses a page the playbook does not list, before anything is stored.
    pub fn check(&self, playbook: &Playbook) -> Result<(), AppError> {
        match self {
            Caller::Page(o) if !playbook.allows_origin(o) => {
                Err(AppError::OriginNotAllowed(o.clone()))
            }
            _ => Ok(()),
        }
    }

    /// The origin to record with a lead.
    pub fn origin(&self, req: &Request) -> Option<String> {
        match self {
            Caller::NoOrigin => None,
            _ => request_origin(req),
        }
    }
}
