use std::rc::Rc;

use baton::raw::FieldKind;
use baton::Value;
use yew::prelude::*;

use crate::components::check_input::{check_input, CheckInputProps};
use crate::components::choice_group::{choice_group, ChoiceGroupProps};
use crate::components::select_input::{select_input, SelectInputProps};
use crate::components::text_input::{text_input, TextInputProps};
use crate::env::FieldSpec;

pub struct FieldProps {
    pub spec: Rc<FieldSpec>,
    pub value: Option<Value>,
    /// The message to show, once the visitor has left the field or tried to send.
    pub error: Option<AttrValue>,
    pub on_change: Callback<(AttrValue, Value)>,
    pub on_toggle: Callback<(AttrValue, AttrValue)>,
    pub on_blur: Callback<AttrValue>,
}

/// One question: label, control, help and error, wired for assistive tech.
/// A function the form calls, not a component: each component type
/// instantiates Yew's lifecycle code again (KBs of wasm), and the boundary
/// saved no renders (its callback props are new on every render). Keyed by
/// the field id, so a step's fields never reuse another step's elements.
pub fn field(props: FieldProps) -> Html {
    let props = &props;
    let spec = &props.spec;
    let id = |suffix: &str| -> AttrValue {
        let mut s = String::from("b-");
        s.push_str(&spec.id);
        s.push_str(suffix);
        s.into()
    };
    let input_id = id("");
    let help_id = spec.help.as_ref().map(|_| id("-help"));
    let err_id = props.error.as_ref().map(|_| id("-err"));
    let describedby: Option<AttrValue> = match (&help_id, &err_id) {
        (Some(h), Some(e)) => {
            let mut s = h.to_string();
            s.push(' ');
            s.push_str(e);
            Some(s.into())
        }
        (h, e) => h.clone().or_else(|| e.clone()),
    };
    let invalid = props.error.is_some();
    let required = spec.required;
    let mark = html! {
        if required { <span class="baton-req" aria-hidden="true">{ " *" }</span> }
    };
    let help = html! {
        if let (Some(h), Some(hid)) = (&spec.help, &help_id) {
            <p class="baton-help" id={hid.clone()}>{ h }</p>
        }
    };
    let error = html! {
        if let (Some(e), Some(eid)) = (&props.error, &err_id) {
            <p class="baton-error" id={eid.clone()}>{ e }</p>
        }
    };
    let text = match &props.value {
        Some(Value::Text(t)) => AttrValue::from(t.clone()),
        _ => AttrValue::default(),
    };
    let mut class = classes!("baton-field");
    if invalid {
        class.push("baton-invalid");
    }
    match spec.kind {
        FieldKind::Multiselect => {
            let chosen: Vec<AttrValue> = match &props.value {
                Some(Value::List(l)) => l
                    .iter()
                    .filter_map(|v| match v {
                        Value::Text(t) => Some(AttrValue::from(t.clone())),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            class.push("baton-group");
            html! {
                <fieldset key={spec.id.as_str()} {class} aria-describedby={describedby.clone()}>
                    <legend class="baton-label">{ &spec.label }{ mark }</legend>
                    { help }
                    { choice_group(ChoiceGroupProps {
                        spec: spec.clone(),
                        chosen,
                        invalid,
                        describedby,
                        on_toggle: props.on_toggle.clone(),
                        on_blur: props.on_blur.clone(),
                    }) }
                    { error }
                </fieldset>
            }
        }
        FieldKind::Checkbox | FieldKind::Consent => {
            let checked = matches!(props.value, Some(Value::Bool(true)));
            class.push("baton-check");
            html! {
                <div key={spec.id.as_str()} {class}>
                    { check_input(CheckInputProps {
                        spec: spec.clone(),
                        input_id,
                        checked,
                        invalid,
                        describedby,
                        on_change: props.on_change.clone(),
                        on_blur: props.on_blur.clone(),
                    }) }
                    { help }
                    { error }
                </div>
            }
        }
        _ => {
            let control = if spec.kind == FieldKind::Select {
                select_input(SelectInputProps {
                    spec: spec.clone(),
                    input_id: input_id.clone(),
                    value: text,
                    invalid,
                    describedby,
                    on_change: props.on_change.clone(),
                    on_blur: props.on_blur.clone(),
                })
            } else {
                text_input(TextInputProps {
                    spec: spec.clone(),
                    input_id: input_id.clone(),
                    value: text,
                    invalid,
                    describedby,
                    on_change: props.on_change.clone(),
                    on_blur: props.on_blur.clone(),
                })
            };
            html! {
                <div key={spec.id.as_str()} {class}>
                    <label class="baton-label" for={input_id}>{ &spec.label }{ mark }</label>
                    { help }
                    { control }
                    { error }
                </div>
            }
        }
    }
}
