use std::rc::Rc;

use web_sys::HtmlElement;
use yew::prelude::*;

use crate::state::{self, OutcomeKind};

#[derive(Properties, PartialEq)]
pub struct OutcomeProps {
    pub outcome: Rc<state::Outcome>,
}

/// What the visitor reads after the edge accepted the lead.
#[component]
pub fn Outcome(props: &OutcomeProps) -> Html {
    let node = use_node_ref();
    {
        // Move focus to the message so keyboard and screen reader users land on it.
        let node = node.clone();
        use_effect_with((), move |_| {
            if let Some(el) = node.cast::<HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let o = &props.outcome;
    let kind = match o.kind {
        OutcomeKind::Qualified => "baton-outcome-qualified",
        OutcomeKind::ThankYou => "baton-outcome-thanks",
        OutcomeKind::KnockedOut => "baton-outcome-other",
    };
    html! {
        <div class={classes!("baton-outcome", kind)} data-testid="outcome" tabindex="-1" ref={node}>
            <p class="baton-outcome-message">{ o.message.clone() }</p>
            if let Some((label, url)) = &o.booking {
                <a class="baton-primary baton-book" href={url.clone()} target="_blank" rel="noopener">
                    { label.clone() }
                </a>
            }
        </div>
    }
}
