//! Taking over the pre-rendered form without losing what the visitor did.
//!
//! The edge renders the form's first HTML with these very components
//! (`ssr.rs`) and the loader shows it before any wasm is fetched, so a
//! visitor may have typed, ticked and moved the caret by the time the
//! widget mounts. Render-and-swap rather than hydration: Yew renders into a
//! fresh element beside the pre-rendered one, seeded with the answers read
//! from it, and the two swap once the render is done; the caret follows.
//! A render that fails leaves the pre-rendered form in place, still
//! answering (the loader posts it itself), and no hydration code ships.

use std::rc::Rc;

use baton::raw::FieldKind;
use baton::Value;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement, ShadowRoot};

use crate::env::FieldSpec;

/// Where the visitor's focus was: the control's name and its selection.
pub struct Focus {
    name: String,
    /// For a box of a multiselect, which option.
    value: Option<String>,
    selection: Option<(u32, u32)>,
}

impl Focus {
    /// The id of the field the visitor is in.
    pub fn field(&self) -> &str {
        &self.name
    }
}

/// The answers given in the pre-rendered form `pre`, per visible field.
pub fn answers(pre: &Element, fields: &[Rc<FieldSpec>]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for f in fields.iter().filter(|f| f.kind != FieldKind::Hidden) {
        let boxes = controls(pre, &f.id);
        let value = match f.kind {
            FieldKind::Multiselect => {
                let chosen: Vec<Value> = boxes
                    .iter()
                    .filter_map(|e| e.dyn_ref::<HtmlInputElement>())
                    .filter(|i| i.checked())
                    .map(|i| Value::Text(i.value()))
                    .collect();
                (!chosen.is_empty()).then_some(Value::List(chosen))
            }
            FieldKind::Checkbox | FieldKind::Consent => boxes
                .first()
                .and_then(|e| e.dyn_ref::<HtmlInputElement>())
                .filter(|i| i.checked())
                .map(|_| Value::Bool(true)),
            _ => boxes
                .first()
                .and_then(|e| {
                    e.dyn_ref::<HtmlSelectElement>()
                        .map(HtmlSelectElement::value)
                        .or_else(|| e.dyn_ref::<HtmlInputElement>().map(|i| i.value()))
                })
                .filter(|v| !v.is_empty())
                .map(Value::Text),
        };
        if let Some(v) = value {
            out.push((f.id.to_string(), v));
        }
    }
    out
}

/// The focused control inside `pre`'s shadow root, if any.
pub fn focus(pre: &Element) -> Option<Focus> {
    let shadow = pre.get_root_node().dyn_into::<ShadowRoot>().ok()?;
    let el = shadow.active_element()?;
    if !pre.contains(Some(&el)) {
        return None;
    }
    let name = el.get_attribute("name")?;
    let input = el.dyn_ref::<HtmlInputElement>();
    // Email and checkbox inputs have no selection (the getter throws).
    let selection = input.and_then(|i| {
        Some((
            i.selection_start().ok().flatten()?,
            i.selection_end().ok().flatten()?,
        ))
    });
    let value = input
        .filter(|i| i.type_() == "checkbox")
        .map(HtmlInputElement::value);
    Some(Focus {
        name,
        value,
        selection,
    })
}

impl Focus {
    /// Focuses the same control in `root` and puts the caret back.
    pub fn restore(&self, root: &Element) {
        let target = controls(root, &self.name).into_iter().find(|e| {
            self.value.is_none()
                || e.dyn_ref::<HtmlInputElement>()
                    .is_some_and(|i| Some(i.value()) == self.value)
        });
        let Some(el) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) else {
            return;
        };
        let _ = el.focus();
        if let (Some((start, end)), Some(i)) = (self.selection, el.dyn_ref::<HtmlInputElement>()) {
            let _ = i.set_selection_range(start, end);
        }
    }
}

/// The controls named `name` (ids are letters, digits, `-`, `_` and `.`: safe in a quoted selector).
pub fn controls(root: &Element, name: &str) -> Vec<Element> {
    let mut sel = String::from("[name=\"");
    sel.push_str(name);
    sel.push_str("\"]");
    let mut out = Vec::new();
    if let Ok(list) = root.query_selector_all(&sel) {
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                out.push(e);
            }
        }
    }
    out
}
