use std::rc::Rc;

use baton::Value;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::blur_handler;
use crate::env::FieldSpec;

pub struct CheckInputProps {
    pub spec: Rc<FieldSpec>,
    pub input_id: AttrValue,
    pub checked: bool,
    pub invalid: bool,
    pub describedby: Option<AttrValue>,
    pub on_change: Callback<(AttrValue, Value)>,
    pub on_blur: Callback<AttrValue>,
}

/// A yes/no answer (`checkbox`) or an agreement (`consent`), label beside the box.
/// A function `Field` calls, not a component, like the other controls: each
/// component type instantiates Yew's lifecycle code again (KBs of wasm), and
/// the boundary saved no renders (its callback props are new on every render).
pub fn check_input(props: CheckInputProps) -> Html {
    let spec = &props.spec;
    let onchange = {
        let id = spec.id.clone();
        let cb = props.on_change.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            cb.emit((id.clone(), Value::Bool(on)));
        })
    };
    let onblur = blur_handler(&spec.id, &props.on_blur);
    html! {
        <>
            <input
                type="checkbox"
                id={props.input_id.clone()}
                name={spec.id.clone()}
                value="true"
                checked={props.checked}
                required={spec.required}
                aria-required={spec.required.then_some("true")}
                aria-invalid={if props.invalid { "true" } else { "false" }}
                aria-describedby={props.describedby.clone()}
                {onchange}
                {onblur}
            />
            <label class="baton-label" for={props.input_id.clone()}>
                { &spec.label }
                if spec.required { <span class="baton-req" aria-hidden="true">{ " *" }</span> }
            </label>
        </>
    }
}
