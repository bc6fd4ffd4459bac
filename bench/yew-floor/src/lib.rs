//! The floor under Baton's widget: the least a Yew form can ship. One text
//! field, checked as the visitor types with an error announced to assistive
//! tech, and a submit button; no rules engine, no playbook, no i18n.
//!
//! `scripts/size-budget.sh` builds it with the widget's exact pipeline
//! (`scripts/ship-wasm.sh`) and prints its bytes, so what Yew itself costs a
//! landing page is measured in the same run as the widget, not guessed.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

#[derive(Default, PartialEq)]
struct Form {
    name: String,
    sent: bool,
}

enum Action {
    Type(String),
    Send,
}

impl Reducible for Form {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = Form {
            name: self.name.clone(),
            sent: self.sent,
        };
        match action {
            Action::Type(name) => next.name = name,
            Action::Send => next.sent = true,
        }
        next.into()
    }
}

#[function_component]
fn App() -> Html {
    let form = use_reducer(Form::default);
    let oninput = {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            form.dispatch(Action::Type(input.value()));
        })
    };
    let onsubmit = {
        let form = form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            form.dispatch(Action::Send);
        })
    };
    let missing = form.name.trim().is_empty();
    html! {
        <form novalidate=true {onsubmit}>
            <label for="name">{ "Name" }</label>
            <input id="name" value={form.name.clone()} {oninput}
                aria-invalid={if missing { "true" } else { "false" }} />
            <p aria-live="polite">{ if missing { "Please enter your name." } else { "" } }</p>
            <button type="submit">{ if form.sent { "Sent" } else { "Send" } }</button>
        </form>
    }
}

/// Renders the form into `root`.
#[wasm_bindgen]
pub fn mount(root: Element) {
    yew::Renderer::<App>::with_root(root).render();
}

/// The widget's allocator (see widget/src/lib.rs).
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
