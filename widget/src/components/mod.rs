//! One component per file, like yew's function_todomvc.

pub mod app;
pub mod check_input;
pub mod choice_group;
pub mod field;
pub mod outcome;
pub mod select_input;
pub mod text_input;
pub mod verdict;

use wasm_bindgen::JsCast;
use yew::{AttrValue, Callback, FocusEvent};

/// The `onblur` of every control: tells `on_blur` the visitor left field `id`,
/// except when focus moves to one of the form's buttons. Showing an error
/// there would shift the button away between mouse down and up and swallow
/// the click; Back needs no error and Send/Next reveal every error anyway.
pub fn blur_handler(id: &AttrValue, on_blur: &Callback<AttrValue>) -> Callback<FocusEvent> {
    let id = id.clone();
    let on_blur = on_blur.clone();
    Callback::from(move |e: FocusEvent| {
        let to_button = e
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.tag_name() == "BUTTON");
        if !to_button {
            on_blur.emit(id.clone());
        }
    })
}
