//! Everything fixed for the life of one mounted form: the compiled playbook,
//! the page it sits on, and the texts in the visitor's language, worked out
//! once at mount so rendering only reads.

use std::rc::Rc;

use baton::raw::{FieldKind, RawText};
use baton::wire::{Context, Utm};
use baton::Playbook;
use yew::AttrValue;

use crate::i18n::Ui;

pub struct Env {
    pub playbook: Playbook,
    /// The locale the form is shown in, one the playbook has.
    pub lang: String,
    pub form: AttrValue,
    /// Origin of the edge, without a trailing slash.
    pub api: String,
    pub text: RawText,
    pub ui: &'static Ui,
    /// `Some("rtl")` when the locale is written right to left.
    pub dir: Option<&'static str>,
    pub fields: Vec<Rc<FieldSpec>>,
    /// At least one step; a form without steps is one step of every visible field.
    pub steps: Vec<Step>,
    /// The element the loader created in the page: analytics events fire
    /// here. None when the edge renders the form's first HTML (`ssr.rs`).
    pub host: Option<web_sys::Element>,
    /// The element inside the shadow root that Yew renders into.
    pub root: Option<web_sys::Element>,
    /// Shows the live score and reasons under the form: a marketer's preview
    /// (`data-preview`). Visitors never see their score; without it the
    /// verdict works silently (which questions to ask, what follows submit).
    pub preview: bool,
}

impl PartialEq for Env {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// One field as it renders in this locale.
#[derive(Debug, PartialEq)]
pub struct FieldSpec {
    pub id: AttrValue,
    pub kind: FieldKind,
    pub label: AttrValue,
    pub help: Option<AttrValue>,
    pub placeholder: Option<AttrValue>,
    pub required: bool,
    /// Value and label of each option of a select or multiselect.
    pub options: Vec<(AttrValue, AttrValue)>,
    pub max_length: Option<u32>,
    /// For hidden fields: the page URL query parameter that fills it.
    pub param: Option<String>,
}

pub struct Step {
    pub title: Option<AttrValue>,
    pub fields: Vec<AttrValue>,
}

impl Env {
    /// The form's fixed parts in the best locale for `locale` (the page's).
    pub fn new(playbook: Playbook, form: &str, api: &str, locale: Option<&str>) -> Env {
        let lang = playbook.resolve_locale(locale).to_owned();
        let ui = crate::i18n::ui(&lang);
        let (fields, steps) = layout(&playbook, &lang, ui);
        let dir = crate::i18n::dir(&lang);
        Env {
            text: playbook.text(&lang),
            lang,
            playbook,
            form: AttrValue::from(form.to_owned()),
            api: api.trim_end_matches('/').to_owned(),
            ui,
            dir,
            fields,
            steps,
            host: None,
            root: None,
            preview: false,
        }
    }

    pub fn field(&self, id: &str) -> Option<&Rc<FieldSpec>> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The visible fields of step `i`, in the order the step lists them.
    pub fn step_fields(&self, i: usize) -> impl Iterator<Item = &Rc<FieldSpec>> {
        self.steps
            .get(i)
            .into_iter()
            .flat_map(|s| s.fields.iter())
            .filter_map(|id| self.field(id))
    }

    pub fn hidden_fields(&self) -> impl Iterator<Item = &Rc<FieldSpec>> {
        self.fields.iter().filter(|f| f.kind == FieldKind::Hidden)
    }
}

/// Field specs and steps from the raw playbook, in `lang`.
pub fn layout(playbook: &Playbook, lang: &str, ui: &Ui) -> (Vec<Rc<FieldSpec>>, Vec<Step>) {
    let raw = playbook.raw();
    let dflt = raw.default_locale.as_str();
    let fields: Vec<Rc<FieldSpec>> = raw
        .fields
        .iter()
        .map(|f| {
            Rc::new(FieldSpec {
                id: f.id.clone().into(),
                kind: f.kind,
                label: f.label.get(lang, dflt).to_owned().into(),
                help: f.help.as_ref().map(|h| h.get(lang, dflt).to_owned().into()),
                // A select's placeholder is its empty first choice.
                placeholder: match &f.placeholder {
                    Some(p) => Some(p.get(lang, dflt).to_owned().into()),
                    None if f.kind == FieldKind::Select => Some(ui.choose.into()),
                    None => None,
                },
                required: f.required,
                options: f
                    .options
                    .iter()
                    .map(|o| {
                        (
                            o.value.clone().into(),
                            o.label.get(lang, dflt).to_owned().into(),
                        )
                    })
                    .collect(),
                max_length: f.max_length,
                param: f.param.clone(),
            })
        })
        .collect();
    let steps = if raw.steps.is_empty() {
        vec![Step {
            title: None,
            fields: fields
                .iter()
                .filter(|f| f.kind != FieldKind::Hidden)
                .map(|f| f.id.clone())
                .collect(),
        }]
    } else {
        raw.steps
            .iter()
            .map(|s| Step {
                title: s
                    .title
                    .as_ref()
                    .map(|t| t.get(lang, dflt).to_owned().into()),
                fields: s.fields.iter().map(|f| f.clone().into()).collect(),
            })
            .collect()
    };
    (fields, steps)
}

/// Marketing context of this page view, read once at mount.
pub fn page_context(params: &web_sys::UrlSearchParams) -> Context {
    let window = web_sys::window();
    let document = window.as_ref().and_then(|w| w.document());
    let nonempty = |s: String| (!s.is_empty()).then_some(s);
    let utm = |k: &str| params.get(k).and_then(nonempty);
    Context {
        page_url: window.as_ref().and_then(|w| w.location().href().ok()),
        referrer: document.map(|d| d.referrer()).and_then(nonempty),
        utm: Utm {
            source: utm("utm_source"),
            medium: utm("utm_medium"),
            campaign: utm("utm_campaign"),
            term: utm("utm_term"),
            content: utm("utm_content"),
        },
        pages_seen: crate::store::pages_seen(),
        content_seen: Vec::new(),
        time_on_page_ms: None,
        visitor_id: crate::store::visitor_id(),
        // Set once the playbook is read (`lib.rs`): the arm comes from its copy.
        arm: None,
    }
}

/// Milliseconds since the page started loading.
pub fn time_on_page_ms() -> Option<u64> {
    let ms = web_sys::window()?.performance()?.now();
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}
