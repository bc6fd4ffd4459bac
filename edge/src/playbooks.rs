//! The playbooks this Worker serves, compiled once per isolate.
//!
//! Each is embedded at build time, so a deploy is exactly one set of rules
//! and the version a browser claims can always be checked against it.
//! `scripts/build-edge.sh` runs `baton check` first, so a playbook with
//! problems never ships; if one did, it is logged and left out (its form
//! answers 404) rather than taking the other forms down.

use std::sync::OnceLock;

use baton::experiment::Arms;
use baton::Playbook;
use worker::console_error;

/// (where it came from, its TOML) for every form this Worker serves.
const SOURCES: &[(&str, &str)] = &[
    ("icp.toml", include_str!("../../icp.toml")),
    // The demo's experiment variant (`[experiment]` in icp.toml).
    (
        "experiments/demo-b.toml",
        include_str!("../../experiments/demo-b.toml"),
    ),
];

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
    /// The experiment this form is an arm of (control or variant).
    pub arms: Option<Arms>,
}

static FORMS: OnceLock<Vec<Form>> = OnceLock::new();

fn load() -> Vec<Form> {
    let mut compiled = Vec::new();
    for (name, src) in SOURCES {
        match baton::parse_toml(src) {
            Ok(p) => compiled.push((*name, p)),
            Err(problems) => console_error!("{name} has problems and is not served:\n{problems}"),
        }
    }
    // Pair each experiment's control with its variant; both copies say so.
    let mut arms: Vec<Arms> = Vec::new();
    for (name, p) in &compiled {
        let Some(e) = p.experiment() else { continue };
        let variant = compiled.iter().find(|(_, v)| v.id() == e.variant);
        match variant {
            None => console_error!(
                "{name}: experiment `{}` names variant `{}`, which this Worker does not serve; it is not run",
                e.id,
                e.variant
            ),
            Some((vname, v)) if v.experiment().is_some() => console_error!(
                "{name}: variant `{}` ({vname}) runs an experiment of its own; experiment `{}` is not run",
                e.variant,
                e.id
            ),
            Some(_) if arms.iter().any(|a| a.has(p.id()) || a.has(&e.variant)) => console_error!(
                "{name}: a form is an arm of one experiment at most; experiment `{}` is not run",
                e.id
            ),
            Some(_) => arms.push(Arms {
                id: e.id.clone(),
                control: p.id().to_owned(),
                variant: e.variant.clone(),
                share: e.share,
            }),
        }
    }
    let mut forms = Vec::new();
    for (name, playbook) in compiled {
        let arms = arms.iter().find(|a| a.has(playbook.id())).cloned();
        let mut raw_public = playbook.public();
        if let Some(p) = raw_public.published.as_mut() {
            p.experiment = arms.clone();
        }
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
            arms,
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

/// The form a visitor gets when a page embeds form `id`: for an
/// experiment's control, the arm of their visitor id (the variant for its
/// share of visitors); any other form as asked, a variant too.
pub fn serve(id: &str, visitor: Option<&str>) -> Option<&'static Form> {
    let form = find(id)?;
    match &form.arms {
        Some(a) if a.control == id => find(a.arm(visitor)).or(Some(form)),
        _ => Some(form),
    }
}
