//! The playbooks this Worker serves, compiled once per isolate.
//!
//! Each is embedded at build time, so a deploy is exactly one set of rules
//! and the version a browser claims can always be checked against it.
//! `scripts/build-edge.sh` runs `baton check` first, so a playbook with
//! problems never ships; if one did, it is logged and left out (its form
//! answers 404) rather than taking the other forms down.

use std::sync::OnceLock;

use baton::Playbook;
use worker::console_error;

/// (where it came from, its TOML) for every form this Worker serves.
const SOURCES: &[(&str, &str)] = &[("icp.toml", include_str!("../../icp.toml"))];

/// A compiled playbook with what `GET /v1/forms/{id}` answers, built once.
pub struct Form {
    pub playbook: Playbook,
    /// The public copy, compiled as browsers compile it: what the form's
    /// pre-rendered HTML is rendered from (`prerender.rs`).
    pub public: Playbook,
    /// The public copy as JSON: edge-only rules and private contacts removed.
    pub public_json: String,
    /// `"<version>"`, quoted as an `ETag` is.
    pub etag: String,
}

static FORMS: OnceLock<Vec<Form>> = OnceLock::new();

fn load() -> Vec<Form> {
    let mut forms = Vec::new();
    for (name, src) in SOURCES {
        let playbook = match baton::parse_toml(src) {
            Ok(p) => p,
            Err(problems) => {
                console_error!("{name} has problems and is not served:\n{problems}");
                continue;
            }
        };
        let raw_public = playbook.public();
        let public_json = match serde_json::to_string(&raw_public) {
            Ok(j) => j,
            Err(e) => {
                console_error!("{name}: the public copy does not serialize: {e}");
                continue;
            }
        };
        let public = match baton::compile_published(raw_public) {
            Ok(p) => p,
            Err(problems) => {
                console_error!("{name}: the public copy does not compile:\n{problems}");
                continue;
            }
        };
        let etag = format!("\"{}\"", playbook.version());
        forms.push(Form {
            playbook,
            public,
            public_json,
            etag,
        });
    }
    forms
}

pub fn all() -> &'static [Form] {
    FORMS.get_or_init(load)
}

pub fn find(id: &str) -> Option<&'static Form> {
    all().iter().find(|f| f.playbook.id() == id)
}
