use std::rc::Rc;

use baton::raw::FieldKind;
use baton::Value;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::blur_handler;
use crate::env::FieldSpec;

pub struct TextInputProps {
    pub spec: Rc<FieldSpec>,
    pub input_id: AttrValue,
    pub value: AttrValue,
    pub invalid: bool,
    pub describedby: Option<AttrValue>,
    pub on_change: Callback<(AttrValue, Value)>,
    pub on_blur: Callback<AttrValue>,
}

/// Text, email, phone and number answers. Numbers stay text so the engine
/// reads them as people type them ("1,000", full-width digits).
/// A function `Field` calls, not a component, like the other controls: each
/// component type instantiates Yew's lifecycle code again (KBs of wasm), and
/// the boundary saved no renders (its callback props are new on every render).
pub fn text_input(props: TextInputProps) -> Html {
    let spec = &props.spec;
    let (kind, inputmode, autocomplete) = match spec.kind {
        FieldKind::Email => ("email", None, Some("email")),
        FieldKind::Phone => ("tel", None, Some("tel")),
        FieldKind::Number => ("text", Some("numeric"), None),
        _ => ("text", None, autocomplete_for(&spec.id)),
    };
    let oninput = {
        let id = spec.id.clone();
        let cb = props.on_change.clone();
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<HtmlInputElement>().value();
            cb.emit((id.clone(), Value::Text(v)));
        })
    };
    let onblur = blur_handler(&spec.id, &props.on_blur);
    html! {
        <input
            class="baton-input"
            id={props.input_id.clone()}
            name={spec.id.clone()}
            type={kind}
            {inputmode}
            {autocomplete}
            value={props.value.clone()}
            placeholder={spec.placeholder.clone()}
            maxlength={spec.max_length.map(|n| n.to_string())}
            required={spec.required}
            aria-required={spec.required.then_some("true")}
            aria-invalid={if props.invalid { "true" } else { "false" }}
            aria-describedby={props.describedby.clone()}
            {oninput}
            {onblur}
        />
    }
}

/// Browser autofill hints for the field ids forms usually have.
fn autocomplete_for(id: &str) -> Option<&'static str> {
    Some(match id {
        "name" | "full_name" => "name",
        "first_name" => "given-name",
        "last_name" => "family-name",
        "company" | "organization" => "organization",
        "title" | "job_title" => "organization-title",
        _ => return None,
    })
}
