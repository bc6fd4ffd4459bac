//! The form's first HTML, rendered on the edge by the very components the
//! browser runs (Yew's server renderer), so the form is there and takes
//! keystrokes before any wasm is fetched, and works where wasm cannot run.
//! Not hydratable: the widget renders afresh beside it and swaps
//! (`takeover.rs`), so no hydration markers or code ship.

use std::rc::Rc;

use baton::wire::Submission;
use baton::Playbook;
use yew::LocalServerRenderer;

use crate::components::app::{App, AppProps};
use crate::components::outcome::{Outcome, OutcomeProps};
use crate::env::Env;
/// What the edge decided, as the visitor sees it (the widget reads the same
/// from the 201's JSON).
pub use crate::post::{Created, Rep};
use crate::submit;

/// A form as the edge serves it before the widget is live.
pub struct Rendered {
    /// The locale it is in: the playbook's best match for the one asked.
    pub locale: String,
    pub html: String,
}

/// Form `form` of `playbook` (its public copy, as browsers get it), in the
/// best locale for `locale`, as the widget first renders it; `preview` with
/// the marketer's score panel.
pub async fn form(playbook: Playbook, form: &str, locale: Option<&str>, preview: bool) -> Rendered {
    let mut env = Env::new(playbook, form, "", locale);
    env.preview = preview;
    let env = Rc::new(env);
    let locale = env.lang.clone();
    let initial = Rc::new(Submission {
        locale: Some(locale.clone()),
        ..Submission::default()
    });
    let html = LocalServerRenderer::<App>::with_props(AppProps {
        env,
        initial,
        known: Default::default(),
    })
    .hydratable(false)
    .render()
    .await;
    Rendered { locale, html }
}

/// The closing message for a lead posted without the widget (the loader's
/// no-wasm path): the same words and markup the widget shows.
pub async fn outcome(playbook: &Playbook, locale: Option<&str>, c: &Created) -> String {
    let lang = playbook.resolve_locale(locale);
    let text = playbook.text(lang);
    let outcome = Rc::new(submit::outcome(&text, crate::i18n::ui(lang), c));
    LocalServerRenderer::<Outcome>::with_props(OutcomeProps { outcome })
        .hydratable(false)
        .render()
        .await
}
