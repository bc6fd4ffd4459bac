use std::rc::Rc;

use baton::Value;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::components::blur_handler;
use crate::env::FieldSpec;

pub struct SelectInputProps {
    pub spec: Rc<FieldSpec>,
    pub input_id: AttrValue,
    pub value: AttrValue,
    pub invalid: bool,
    pub describedby: Option<AttrValue>,
    pub on_change: Callback<(AttrValue, Value)>,
    pub on_blur: Callback<AttrValue>,
}

/// One choice from a list.
/// A function `Field` calls, not a component, like the other controls: each
/// component type instantiates Yew's lifecycle code again (KBs of wasm), and
/// the boundary saved no renders (its callback props are new on every render).
pub fn select_input(props: SelectInputProps) -> Html {
    let spec = &props.spec;
    let onchange = {
        let id = spec.id.clone();
        let cb = props.on_change.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            cb.emit((id.clone(), Value::Text(v)));
        })
    };
    let onblur = blur_handler(&spec.id, &props.on_blur);
    let empty = props.value.is_empty();
    html! {
        <select
            class="baton-input"
            id={props.input_id.clone()}
            name={spec.id.clone()}
            required={spec.required}
            aria-required={spec.required.then_some("true")}
            aria-invalid={if props.invalid { "true" } else { "false" }}
            aria-describedby={props.describedby.clone()}
            {onchange}
            {onblur}
        >
            <option value="" selected={empty}>{ spec.placeholder.clone() }</option>
            { for spec.options.iter().map(|(value, label)| html! {
                <option value={value.clone()} selected={*value == props.value}>{ label.clone() }</option>
            }) }
        </select>
    }
}
