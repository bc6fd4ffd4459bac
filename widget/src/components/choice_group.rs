use std::rc::Rc;

use yew::prelude::*;

use crate::components::blur_handler;
use crate::env::FieldSpec;

pub struct ChoiceGroupProps {
    pub spec: Rc<FieldSpec>,
    pub chosen: Vec<AttrValue>,
    pub invalid: bool,
    pub describedby: Option<AttrValue>,
    pub on_toggle: Callback<(AttrValue, AttrValue)>,
    pub on_blur: Callback<AttrValue>,
}

/// Several choices from a list, as checkboxes sharing the field's name.
/// A function `Field` calls, not a component, like the other controls: each
/// component type instantiates Yew's lifecycle code again (KBs of wasm), and
/// the boundary saved no renders (its callback props are new on every render).
pub fn choice_group(props: ChoiceGroupProps) -> Html {
    let spec = &props.spec;
    let onblur = blur_handler(&spec.id, &props.on_blur);
    let invalid = if props.invalid { "true" } else { "false" };
    html! {
        <div class="baton-choices">
            { for spec.options.iter().map(|(value, label)| {
                let onchange = {
                    let id = spec.id.clone();
                    let value = value.clone();
                    let cb = props.on_toggle.clone();
                    Callback::from(move |_: Event| cb.emit((id.clone(), value.clone())))
                };
                html! {
                    <label class="baton-choice">
                        <input
                            type="checkbox"
                            name={spec.id.clone()}
                            value={value.clone()}
                            checked={props.chosen.contains(value)}
                            aria-invalid={invalid}
                            aria-describedby={props.describedby.clone()}
                            {onchange}
                            onblur={onblur.clone()}
                        />
                        <span>{ label.clone() }</span>
                    </label>
                }
            }) }
        </div>
    }
}
