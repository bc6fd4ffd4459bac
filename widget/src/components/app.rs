use std::rc::Rc;

use baton::wire::{Submission, HONEYPOT};
use baton::Value;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::field::{field, FieldProps};
use crate::components::outcome::Outcome;
use crate::components::verdict::{verdict, VerdictProps};
use crate::env::Env;
use crate::state::{Action, Phase, State};
use crate::submit::submit;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub env: Rc<Env>,
    /// Hidden fields from the page URL, locale and page context.
    pub initial: Rc<Submission>,
    /// Fields a returning visitor answered before, not asked again.
    pub known: Rc<Vec<AttrValue>>,
}

/// The whole form: steps of fields, the live verdict, and what follows submit.
#[component]
pub fn App(props: &AppProps) -> Html {
    let state = use_reducer({
        let env = props.env.clone();
        let initial = props.initial.clone();
        let known = props.known.clone();
        move || State::new(env, (*initial).clone(), (*known).clone())
    });
    let env = &state.env;

    {
        let root = env.root.clone();
        let focus = state.focus.clone();
        use_effect_with(state.focus_seq, move |_| {
            if let (Some(id), Some(root)) = (focus, root) {
                focus_field(&root, &id);
            }
        });
    }

    let on_change = {
        let d = state.dispatcher();
        Callback::from(move |(id, v): (AttrValue, Value)| d.dispatch(Action::Set(id, v)))
    };
    let on_toggle = {
        let d = state.dispatcher();
        Callback::from(move |(id, o): (AttrValue, AttrValue)| d.dispatch(Action::Toggle(id, o)))
    };
    let on_blur = {
        let d = state.dispatcher();
        Callback::from(move |id: AttrValue| d.dispatch(Action::Blur(id)))
    };
    let on_back = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            step_event(&state, state.prev_step());
            state.dispatch(Action::Back)
        })
    };
    let on_forget = {
        let d = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            crate::store::forget();
            d.dispatch(Action::Forget)
        })
    };
    let on_submit = {
        let state = state.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !matches!(state.phase, Phase::Editing | Phase::Refused(_)) {
                return;
            }
            let env = &state.env;
            let next = state.next_step();
            let last = next.is_none();
            // Leaving a step checks that step; sending checks every step.
            let steps = if last {
                0..env.steps.len()
            } else {
                state.step..state.step + 1
            };
            let invalid =
                state.invalid_among(steps.flat_map(|i| state.step_fields(i)).map(|f| &f.id));
            if !invalid.is_empty() {
                let ids: Vec<&str> = invalid.iter().map(|f| f.as_str()).collect();
                crate::events::error(env, "invalid", &ids);
                state.dispatch(Action::Reveal(invalid));
            } else if let Some(next) = next {
                step_event(&state, next);
                state.dispatch(Action::Next);
            } else {
                // What a bot typed into the trap travels with the lead, so the
                // edge can drop it (the widget never shows it was caught).
                let trap = e
                    .target_dyn_into::<web_sys::Element>()
                    .and_then(|f| {
                        let selector = format!("input[name={HONEYPOT}]");
                        f.query_selector(&selector).ok().flatten()
                    })
                    .and_then(|i| i.dyn_into::<web_sys::HtmlInputElement>().ok())
                    .map(|i| i.value())
                    .filter(|v| !v.is_empty());
                wasm_bindgen_futures::spawn_local(submit(
                    env.clone(),
                    state.submission.clone(),
                    trap,
                    state.dispatcher(),
                ));
            }
        })
    };

    let text = &env.text;
    let ui = env.ui;
    let body = match &state.phase {
        Phase::Sent(outcome) => html! { <Outcome outcome={outcome.clone()} /> },
        Phase::Queued => html! {
            <div class="baton-outcome baton-queued"><p>{ ui.queued }</p></div>
        },
        phase => {
            let sending = *phase == Phase::Sending;
            let (at, steps) = state.progress(state.step);
            let last = state.next_step().is_none();
            let progress = (steps > 1).then(|| {
                let mut p = String::from(ui.step);
                p.push(' ');
                p.push_str(&at.to_string());
                p.push(' ');
                p.push_str(ui.of);
                p.push(' ');
                p.push_str(&steps.to_string());
                let title = env.steps.get(state.step).and_then(|s| s.title.clone());
                html! {
                    <p class="baton-progress">
                        <span>{ p }</span>
                        if let Some(t) = title { <strong>{ t }</strong> }
                    </p>
                }
            });
            let fields = state.step_fields(state.step).map(|f| {
                field(FieldProps {
                    spec: f.clone(),
                    value: state.submission.fields.get(f.id.as_str()).cloned(),
                    error: state.error_of(&f.id),
                    on_change: on_change.clone(),
                    on_toggle: on_toggle.clone(),
                    on_blur: on_blur.clone(),
                })
            });
            let hidden = env.hidden_fields().map(|f| {
                let v = match state.submission.fields.get(f.id.as_str()) {
                    Some(Value::Text(t)) => t.clone(),
                    _ => String::new(),
                };
                // `data-param`: the loader fills it from the page URL when no wasm runs.
                html! { <input type="hidden" name={f.id.clone()} value={v} data-param={f.param.clone()} /> }
            });
            let refused = match phase {
                Phase::Refused(m) => Some(m.clone()),
                _ => None,
            };
            html! {
                <form class="baton-form" novalidate=true onsubmit={on_submit} aria-busy={sending.then_some("true")}>
                    if let Some(t) = &text.title { <h2 class="baton-title">{ t }</h2> }
                    if let Some(t) = &text.intro { <p class="baton-intro">{ t }</p> }
                    { for progress }
                    if !state.known.is_empty() {
                        <p class="baton-known">
                            { ui.known }{ " " }
                            <button type="button" class="baton-link" onclick={on_forget}>{ ui.not_you }</button>
                        </p>
                    }
                    { for fields }
                    { for hidden }
                    // The bot trap (`baton::wire::HONEYPOT`): off screen, out of the
                    // tab order and hidden from assistive technology; a person never fills it.
                    <div class="baton-hp" aria-hidden="true">
                        <input name={HONEYPOT} type="text" tabindex="-1" autocomplete="off" />
                    </div>
                    if let Some(m) = refused { <p class="baton-alert">{ m }</p> }
                    <div class="baton-actions">
                        if state.prev_step() < state.step {
                            <button type="button" class="baton-secondary" onclick={on_back}>
                                { text.back.clone().unwrap_or_default() }
                            </button>
                        }
                        <button type="submit" class="baton-primary" disabled={sending}>
                            { if sending { ui.sending.to_owned() } else if last {
                                text.submit.clone().unwrap_or_default()
                            } else {
                                text.next.clone().unwrap_or_default()
                            } }
                        </button>
                    </div>
                    if env.preview { { verdict(VerdictProps { decision: state.decision.clone(), ui }) } }
                </form>
            }
        }
    };
    // The form's own language and direction, whatever the page's: screen
    // readers pronounce it right, and a right-to-left locale lays out so.
    html! {
        <div class="baton-in" lang={env.lang.clone()} dir={env.dir}>
            { body }
            <div class="baton-sr" role="status" aria-live="polite">{ state.announce.clone() }</div>
        </div>
    }
}

/// `baton:step` as the visitor moves to step `to`: `{step, steps}` as the
/// progress line counts them (from 1, skipped steps not counted).
fn step_event(state: &State, to: usize) {
    let (step, steps) = state.progress(to);
    crate::events::fire(
        &state.env,
        "step",
        &[
            ("step", (step as u32).into()),
            ("steps", (steps as u32).into()),
        ],
    );
}

/// Focuses the control named `id` (the first box of a group).
fn focus_field(root: &web_sys::Element, id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = crate::takeover::controls(root, id)
        .into_iter()
        .next()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}
