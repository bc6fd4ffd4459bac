use std::rc::Rc;

use baton::Held;
use baton::Preview;
use yew::prelude::*;

use crate::i18n::Ui;

pub struct VerdictProps {
    pub decision: Rc<Preview>,
    pub ui: &'static Ui,
}

/// How many reasons the panel lists: the weightiest ones.
const TOP: usize = 3;

/// The live verdict, recomputed in the browser on every answer. A function
/// the form calls, not a component: each component type instantiates Yew's
/// lifecycle code again (KBs of wasm); rendering it with the form costs a
/// virtual DOM diff that changes nothing when the decision did not.
pub fn verdict(props: VerdictProps) -> Html {
    let props = &props;
    let d = &props.decision;
    let ui = props.ui;
    // Knock-outs first, then by weight; ties keep playbook order. Each reason
    // goes after those that rank as high, then only TOP are kept: a stable
    // sort's first TOP, without linking a sort.
    let rank = |r: &Held| (!r.knockout, std::cmp::Reverse(r.points.unsigned_abs()));
    let mut top: Vec<&Held> = Vec::with_capacity(TOP + 1);
    for r in &d.reasons {
        let at = top
            .iter()
            .position(|t| rank(r) < rank(t))
            .unwrap_or(top.len());
        top.insert(at, r);
        top.truncate(TOP);
    }
    let mut class = classes!("baton-verdict");
    if d.qualified {
        class.push("baton-qualified");
    }
    html! {
        <section {class} data-testid="verdict" part="verdict" aria-label={ui.fit}>
            <p class="baton-verdict-head">
                { ui.fit }{ ": " }
                <strong class="baton-grade" data-testid="verdict-grade">{ d.grade.clone() }</strong>
                { " — " }
                // Plain digits (ASCII minus): tests and analytics read this number.
                <span data-testid="verdict-score">{ d.score }</span>
                { " " }{ ui.points }
            </p>
            if !top.is_empty() {
                <ul class="baton-reasons">
                    { for top.into_iter().map(|r| {
                        let points = if r.knockout {
                            "✕".to_owned()
                        } else if r.points > 0 {
                            let mut p = String::from("+");
                            p.push_str(&r.points.to_string());
                            p
                        } else {
                            minus(r.points.to_string())
                        };
                        html! {
                            <li>
                                <span class="baton-points">{ points }</span>
                                { r.description.clone().unwrap_or_else(|| r.rule.clone()) }
                            </li>
                        }
                    }) }
                </ul>
            }
            if d.provisional { <p class="baton-note">{ ui.preliminary }</p> }
        </section>
    }
}

/// A real minus sign reads better than a hyphen.
fn minus(n: String) -> String {
    if n.starts_with('-') {
        n.replacen('-', "−", 1)
    } else {
        n
    }
}
