//! Property tests: invariants of evaluation and of the playbook format that
//! must hold for every input, checked on the demo playbook and on generated
//! ones. Native only (proptest); the golden vectors cover the browser.
//!
//! `PROPTEST_CASES=N` runs more (or fewer) cases than the defaults below.
#![cfg(not(target_arch = "wasm32"))]
// A test reports by panicking; these lints guard the library, not its tests.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use baton::raw::{
    ChannelKind, ContentKind, FieldKind, Localized, Op, RawAccount, RawChannel, RawCondition,
    RawContent, RawField, RawGrade, RawOption, RawOwnership, RawPlaybook, RawRep, RawRoute,
    RawRule, RawSla, RawTeam, Visibility,
};
use baton::wire::{Context, Utm};
use baton::{Decision, Playbook, Submission, Value};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

const DEMO_TOML: &str = include_str!("../../icp.toml");

fn demo() -> &'static Playbook {
    static DEMO: OnceLock<Playbook> = OnceLock::new();
    DEMO.get_or_init(|| baton::parse_toml(DEMO_TOML).expect("icp.toml compiles"))
}

// ------------------------------------------------------------------ invariants

/// What every decision must satisfy, whatever the input.
fn check_decision(pb: &Playbook, sub: &Submission, d: &Decision) {
    // What the widget shows is the decision without the route and the words.
    let p = pb.preview(sub);
    assert_eq!(
        (&p.version, p.valid, &p.field_errors, p.score, &p.grade),
        (&d.version, d.valid, &d.field_errors, d.score, &d.grade)
    );
    assert_eq!(
        (p.qualified, &p.knocked_out, p.provisional, p.claimed()),
        (d.qualified, &d.knocked_out, d.provisional, d.claimed())
    );
    let held: Vec<_> = d
        .reasons
        .iter()
        .map(|r| (&r.rule, r.points, r.knockout, &r.description))
        .collect();
    let previewed: Vec<_> = p
        .reasons
        .iter()
        .map(|r| (&r.rule, r.points, r.knockout, &r.description))
        .collect();
    assert_eq!(previewed, held);

    let raw = pb.raw();
    let sum: i64 = d.reasons.iter().map(|r| i64::from(r.points)).sum();
    assert_eq!(
        i64::from(d.score),
        sum,
        "score is the sum of the reasons' points"
    );
    assert_eq!(d.version, pb.version());
    assert_eq!(d.valid, d.field_errors.is_empty());

    // Reasons are rules that exist, each once, in playbook order.
    let order: Vec<usize> = d
        .reasons
        .iter()
        .map(|r| {
            raw.rules
                .iter()
                .position(|x| x.id == r.rule)
                .unwrap_or_else(|| panic!("reason names unknown rule `{}`", r.rule))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "reasons in playbook order"
    );
    for r in &d.reasons {
        let rule = raw.rules.iter().find(|x| x.id == r.rule).unwrap();
        assert_eq!((r.points, r.knockout), (rule.points, rule.knockout));
        assert!(!r.because.is_empty(), "every reason says why");
    }

    // Knock-outs.
    let first_ko = d
        .reasons
        .iter()
        .find(|r| r.knockout)
        .map(|r| r.rule.clone());
    assert_eq!(
        d.knocked_out, first_ko,
        "knocked_out is the first knock-out that held"
    );
    if d.knocked_out.is_some() {
        assert!(!d.qualified, "a knocked-out lead is never qualified");
        assert!(d.route.is_none(), "a knocked-out lead is not routed");
    }

    // The grade is the first whose threshold the score reaches.
    let grade = raw
        .grades
        .iter()
        .find(|g| g.min_score.is_none_or(|m| d.score >= m))
        .expect("the last grade takes every score");
    assert_eq!(d.grade, grade.grade);
    assert_eq!(
        d.qualified,
        d.valid && d.knocked_out.is_none() && grade.qualified
    );
    // The SLA is promised only for a lead that goes to someone.
    let routed = d.valid && d.knocked_out.is_none();
    let sla = raw.sla.minutes.get(&d.grade).copied().filter(|_| routed);
    assert_eq!(d.sla_minutes, sla);

    // Routing: every valid lead that is not knocked out reaches a route.
    assert_eq!(d.route.is_some(), d.valid && d.knocked_out.is_none());
    if let Some(route) = &d.route {
        assert!(raw.routes.iter().any(|r| r.id == route.route));
        for c in &route.candidates {
            let rep = pb.rep(&c.rep).expect("candidate is a rep");
            assert!(rep.active && rep.weight > 0, "only active reps are offered");
        }
        // Nobody is routed to a route where nobody can take the lead, but
        // the fallback; the routes passed over for that come earlier.
        let chosen = raw.routes.iter().position(|r| r.id == route.route);
        let chosen = chosen.expect("the route is the playbook's");
        if raw.routes[chosen].when.is_some() {
            assert!(
                !route.candidates.is_empty(),
                "only the fallback may have nobody"
            );
        }
        for p in &route.passed_over {
            let at = raw.routes.iter().position(|r| r.id == *p);
            assert!(
                at.is_some_and(|at| at < chosen),
                "passed over before the route taken"
            );
        }
    }

    // At most one error per field, only for the form's fields.
    let mut seen = BTreeSet::new();
    for e in &d.field_errors {
        assert!(seen.insert(e.field.clone()), "one error per field");
        assert!(pb.fields().iter().any(|f| f.id == e.field));
        assert!(!e.message.is_empty());
    }

    assert!(d.agrees_with(&d.claimed()));
    assert_eq!(d.provisional, pb.is_provisional() || !d.deferred.is_empty());

    // The hot path agrees with the full evaluation.
    let s = pb.score(sub);
    assert_eq!(
        (s.score, s.qualified),
        (d.score, d.qualified),
        "score() == evaluate()"
    );

    // What crosses the wire comes back the same.
    let back: Decision = serde_json::from_str(&serde_json::to_string(d).unwrap()).unwrap();
    assert_eq!(&back, d);
}

// ------------------------------------------------------------------ arbitrary submissions

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,24}",
        // Numbers as people type them, full-width included.
        "[-+]?[0-9０-９][0-9０-９,. '_\u{a0}]{0,12}",
        // Addresses, some Unicode, some full-width.
        "[a-zA-Z0-9äöü._+-]{1,12}@[a-zA-Z0-9ü-]{1,10}[.．][a-zａ-ｚ]{2,4}",
        Just("gmail.com".to_owned()),
        Just("ana@mailinator.com".to_owned()),
        Just("spy@tableau.com".to_owned()),
        Just("jörg@bücher.de".to_owned()),
        Just("１２０".to_owned()),
        Just(String::new()),
        Just("   ".to_owned()),
        Just("x".repeat(600)),
        prop::sample::select(vec![
            "DE",
            "de",
            "US",
            "other",
            "this-quarter",
            "researching",
            "forecasting",
            "dashboards",
            "true",
            "on",
            "no",
            "VP Sales",
            "Working Student",
            "+49 30 1234567",
        ])
        .prop_map(str::to_owned),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        prop_oneof![
            Just(i64::MAX),
            Just(i64::MIN),
            Just(0),
            Just(200),
            Just(5001)
        ]
        .prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        prop_oneof![
            Just(1e300),
            Just(-0.0),
            Just(120.0),
            Just(12.5),
            Just(9.0e15)
        ]
        .prop_map(Value::Float),
        text().prop_map(Value::Text),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::List)
    })
}

fn context() -> impl Strategy<Value = Context> {
    let opt = || prop::option::of(text());
    (
        (opt(), opt()),
        (opt(), opt(), opt(), opt(), opt()),
        prop::collection::vec(text(), 0..6),
        prop::collection::vec(text(), 0..3),
        prop::option::of(any::<u64>()),
    )
        .prop_map(
            |((page_url, referrer), (source, medium, campaign, term, content), pages, seen, ms)| {
                Context {
                    page_url,
                    referrer,
                    utm: Utm {
                        source,
                        medium,
                        campaign,
                        term,
                        content,
                    },
                    pages_seen: pages,
                    content_seen: seen,
                    time_on_page_ms: ms,
                    visitor_id: None,
                    arm: None,
                }
            },
        )
}

/// An answer a visitor of this field could plausibly give, valid or nearly so,
/// so that properties about valid leads (routes, qualification) get exercised.
fn plausible(field: &baton::Field) -> BoxedStrategy<Value> {
    let pick = |v: &[&str]| {
        prop::sample::select(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .prop_map(Value::Text)
            .boxed()
    };
    match field.kind {
        FieldKind::Email => prop_oneof![
            pick(&[
                "ana@acme.com",
                "someone@gmail.com",
                "t@mailinator.com",
                "spy@tableau.com",
                "jörg@bücher.de",
                "Ana@EU.Acme.COM",
                "ana@ａｃｍｅ．com",
            ]),
            "[a-z0-9.]{1,10}@[a-z]{1,10}\\.(com|de|io)".prop_map(Value::Text),
        ]
        .boxed(),
        FieldKind::Text => prop_oneof![
            pick(&[
                "VP Sales",
                "Head of RevOps",
                "Working Student",
                "Marketing Operations Manager",
                "CFO",
                "Geschäftsführer / Gründer",
                "Ana Souza",
            ]),
            "[A-Za-zäöü ]{1,30}".prop_map(Value::Text),
        ]
        .boxed(),
        FieldKind::Number => {
            let lo = field.min.unwrap_or(-100).max(-1_000_000);
            let hi = field.max.unwrap_or(10_000).min(1_000_000);
            prop_oneof![
                (lo..=hi).prop_map(Value::Int),
                (lo..=hi).prop_map(|n| Value::Text(n.to_string())),
                (0i64..100_000).prop_map(|n| Value::Text(format!("{},{:03}", n / 1000, n % 1000))),
            ]
            .boxed()
        }
        FieldKind::Select => {
            let opts = field.options.clone();
            (prop::sample::select(opts), any::<bool>())
                .prop_map(|(o, lower)| Value::Text(if lower { o.to_lowercase() } else { o }))
                .boxed()
        }
        FieldKind::Multiselect => {
            let n = field.options.len();
            prop::sample::subsequence(field.options.clone(), 0..=n)
                .prop_shuffle()
                .prop_map(|v| Value::List(v.into_iter().map(Value::Text).collect()))
                .boxed()
        }
        FieldKind::Phone => prop_oneof![
            pick(&["+49 30 1234567", "(555) 123-4567", "+55 11 91234-5678"]),
            "[0-9]{6,12}".prop_map(Value::Text),
        ]
        .boxed(),
        FieldKind::Consent => {
            prop_oneof![9 => Just(Value::Bool(true)), 1 => Just(Value::Bool(false))].boxed()
        }
        FieldKind::Checkbox => any::<bool>().prop_map(Value::Bool).boxed(),
        FieldKind::Hidden => "[A-Za-z0-9_-]{0,16}".prop_map(Value::Text).boxed(),
    }
}

/// An answer (or none) to each field of `pb`, keyed by its id.
fn answers(
    pb: &Playbook,
    answer: impl Fn(&baton::Field) -> BoxedStrategy<Option<Value>>,
) -> Vec<BoxedStrategy<(String, Option<Value>)>> {
    let one = |f: &baton::Field| {
        let id = f.id.clone();
        answer(f).prop_map(move |v| (id.clone(), v)).boxed()
    };
    pb.fields().iter().map(one).collect()
}

/// Submissions to `pb`: mostly plausible answers, some arbitrary ones, some
/// missing, plus answers to fields the form does not have.
fn submission(pb: &Playbook) -> impl Strategy<Value = Submission> {
    let answers = answers(pb, |f| {
        prop_oneof![
            30 => plausible(f).prop_map(Some),
            1 => value().prop_map(Some),
            1 => Just(None),
        ]
        .boxed()
    });
    let ids: Vec<String> = pb.fields().iter().map(|f| f.id.clone()).collect();
    let key = prop_oneof![1 => prop::sample::select(ids), 3 => any::<String>()];
    (
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["en", "de", "de-AT", "fr", "DE", ""]).prop_map(str::to_owned),
            any::<String>(),
        ]),
        answers,
        prop::collection::btree_map(key, value(), 0..3),
        context(),
    )
        .prop_map(|(locale, answers, extra, context)| {
            let mut fields = extra;
            fields.extend(answers.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
            Submission {
                locale,
                fields: fields.into(),
                context,
            }
        })
}

fn demo_ids() -> Vec<String> {
    demo().fields().iter().map(|f| f.id.clone()).collect()
}

// ------------------------------------------------------------------ generated playbooks

const COUNTRIES: [&str; 4] = ["DE", "US", "BR", "other"];
const INTERESTS: [&str; 3] = ["forecasting", "attribution", "dashboards"];

fn label(s: &str) -> Localized {
    Localized::One(s.to_owned())
}

fn field(id: &str, kind: FieldKind, required: bool) -> RawField {
    let options = |vals: &[&str]| {
        vals.iter()
            .map(|v| RawOption {
                value: (*v).to_owned(),
                label: label(v),
            })
            .collect()
    };
    RawField {
        id: id.to_owned(),
        kind,
        label: label(id),
        required: required && kind != FieldKind::Hidden,
        help: None,
        placeholder: None,
        options: match kind {
            FieldKind::Select => options(&COUNTRIES),
            FieldKind::Multiselect => options(&INTERESTS),
            _ => Vec::new(),
        },
        min: (kind == FieldKind::Number).then_some(0),
        max: None,
        max_length: None,
        param: (kind == FieldKind::Hidden).then(|| "gclid".to_owned()),
    }
}

fn leaf(subject: (&str, &str), op: Op, value: Option<Json>) -> RawCondition {
    let (which, name) = subject;
    RawCondition {
        field: (which == "field").then(|| name.to_owned()),
        fact: (which == "fact").then(|| name.to_owned()),
        op: Some(op),
        value,
        ..RawCondition::default()
    }
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,6}",
        prop::sample::select(vec![
            "vp", "head", "director", "student", "ops", "chief", "gründer"
        ])
        .prop_map(str::to_owned),
    ]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}\\.(com|de|io)",
        prop::sample::select(vec!["gmail.com", "tableau.com", "bücher.de", "acme.com"])
            .prop_map(str::to_owned),
    ]
}

/// Which tests generated rules use.
#[derive(Clone, Copy, PartialEq)]
#[cfg_attr(not(feature = "bulk"), allow(dead_code))]
enum Tests {
    /// Every operator on every field and fact.
    All,
    /// Only those `score` settles straight from a clean submission's
    /// values (`direct.rs`): ranges on numbers, a select's options, yes/no,
    /// single words, domain lists, presence.
    Direct,
}

/// A type-correct test on one of the generated form's fields or facts.
fn arb_leaf(in_route: bool, grades: Vec<String>, tests: Tests) -> BoxedStrategy<RawCondition> {
    let mut num_ops = vec![
        Op::Equals,
        Op::AtLeast,
        Op::AtMost,
        Op::GreaterThan,
        Op::LessThan,
    ];
    if tests == Tests::All {
        num_ops.push(Op::NotEquals);
    }
    let num_op = prop::sample::select(num_ops);
    let ints = || prop::collection::vec(-10i64..6000, 1..4);
    let set_op = || prop::sample::select(vec![Op::In, Op::NotIn]);
    let presence = || prop::sample::select(vec![Op::Present, Op::Absent]);
    let subject = || {
        prop::sample::select(vec![
            "email",
            "title",
            "employees",
            "country",
            "interests",
            "phone",
            "consent",
            "newsletter",
            "gclid",
        ])
    };
    // The tests `direct.rs` settles, then the others.
    let mut all: Vec<BoxedStrategy<RawCondition>> = vec![
        (num_op, -10i64..6000)
            .prop_map(|(op, v)| leaf(("field", "employees"), op, Some(json!(v))))
            .boxed(),
        (0i64..6000, 0i64..6000)
            .prop_map(|(a, b)| {
                leaf(
                    ("field", "employees"),
                    Op::Between,
                    Some(json!([a.min(b), a.max(b)])),
                )
            })
            .boxed(),
        (
            set_op(),
            prop::sample::subsequence(COUNTRIES.to_vec(), 1..4),
        )
            .prop_map(|(op, v)| leaf(("field", "country"), op, Some(json!(v))))
            .boxed(),
        (
            prop::sample::select(vec!["consent", "newsletter"]),
            any::<bool>(),
        )
            .prop_map(|(f, b)| leaf(("field", f), Op::Equals, Some(json!(b))))
            .boxed(),
        (subject(), presence())
            .prop_map(|(f, op)| leaf(("field", f), op, None))
            .boxed(),
        (set_op(), prop::collection::vec(domain(), 1..3))
            .prop_map(|(op, d)| leaf(("fact", "email_domain"), op, Some(json!(d))))
            .boxed(),
        prop::collection::vec(word(), 1..4)
            .prop_map(|ws| leaf(("field", "title"), Op::ContainsWord, Some(json!(ws))))
            .boxed(),
    ];
    let others: Vec<BoxedStrategy<RawCondition>> = vec![
        (set_op(), ints())
            .prop_map(|(op, v)| leaf(("field", "employees"), op, Some(json!(v))))
            .boxed(),
        prop::collection::vec(prop::collection::vec(word(), 1..3), 1..4)
            .prop_map(|ps| {
                let phrases: Vec<String> = ps.iter().map(|p| p.join(" ")).collect();
                leaf(("field", "title"), Op::ContainsWord, Some(json!(phrases)))
            })
            .boxed(),
        (
            prop::sample::select(vec![Op::Equals, Op::NotEquals]),
            word(),
        )
            .prop_map(|(op, w)| leaf(("field", "title"), op, Some(json!(w))))
            .boxed(),
        (
            prop::sample::select(vec![Op::In, Op::NotIn, Op::Equals, Op::NotEquals]),
            prop::sample::subsequence(INTERESTS.to_vec(), 1..3),
        )
            .prop_map(|(op, v)| {
                let value = if matches!(op, Op::Equals | Op::NotEquals) {
                    json!(v[0])
                } else {
                    json!(v)
                };
                leaf(("field", "interests"), op, Some(value))
            })
            .boxed(),
        prop::collection::vec(domain(), 1..3)
            .prop_map(|d| leaf(("field", "email"), Op::DomainMatches, Some(json!(d))))
            .boxed(),
        prop::sample::select(vec![Op::FreeEmail, Op::DisposableEmail, Op::BusinessEmail])
            .prop_map(|op| leaf(("field", "email"), op, None))
            .boxed(),
        word()
            .prop_map(|w| leaf(("fact", "utm_source"), Op::Equals, Some(json!(w))))
            .boxed(),
        prop::collection::vec(domain(), 1..3)
            .prop_map(|d| {
                leaf(
                    ("fact", "referrer_domain"),
                    Op::DomainMatches,
                    Some(json!(d)),
                )
            })
            .boxed(),
        (0i64..5)
            .prop_map(|n| leaf(("fact", "pages_seen"), Op::AtLeast, Some(json!(n))))
            .boxed(),
    ];
    if tests == Tests::All {
        all.extend(others);
    }
    if in_route {
        all.push(
            any::<bool>()
                .prop_map(|b| leaf(("fact", "qualified"), Op::Equals, Some(json!(b))))
                .boxed(),
        );
        all.push(
            (-100i64..200)
                .prop_map(|n| leaf(("fact", "score"), Op::AtLeast, Some(json!(n))))
                .boxed(),
        );
        all.push(
            prop::sample::select(grades)
                .prop_map(|g| leaf(("fact", "grade"), Op::Equals, Some(json!(g))))
                .boxed(),
        );
    }
    prop::strategy::Union::new(all).boxed()
}

fn arb_cond(in_route: bool, grades: Vec<String>, tests: Tests) -> BoxedStrategy<RawCondition> {
    arb_leaf(in_route, grades, tests)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(|cs| RawCondition {
                    all: Some(cs),
                    ..RawCondition::default()
                }),
                prop::collection::vec(inner.clone(), 1..4).prop_map(|cs| RawCondition {
                    any: Some(cs),
                    ..RawCondition::default()
                }),
                inner.prop_map(|c| RawCondition {
                    not: Some(Box::new(c)),
                    ..RawCondition::default()
                }),
            ]
        })
        .boxed()
}

const GRADE_NAMES: [&str; 4] = ["A", "B", "C", "D"];

/// A valid playbook over a fixed form, with random rules, grades, reps and routes.
fn arb_playbook() -> impl Strategy<Value = RawPlaybook> {
    playbook_with(Tests::All)
}

fn playbook_with(tests: Tests) -> impl Strategy<Value = RawPlaybook> {
    let grades = (
        1usize..=4,
        prop::collection::vec(1i32..40, 3),
        any::<[bool; 3]>(),
    )
        .prop_map(|(n, steps, q)| {
            let mut min = 80;
            (0..n)
                .map(|i| {
                    let last = i + 1 == n;
                    let g = RawGrade {
                        grade: GRADE_NAMES[i].to_owned(),
                        min_score: (!last).then_some(min),
                        // The top grade is always qualified, so some lead can be.
                        qualified: i == 0 || (!last && q[i - 1]),
                    };
                    min -= steps[i.min(2)];
                    g
                })
                .collect::<Vec<_>>()
        });
    grades
        .prop_flat_map(move |grades| {
            let names: Vec<String> = grades.iter().map(|g| g.grade.clone()).collect();
            let rule = (
                -100i32..100,
                prop::bool::weighted(0.1),
                prop::bool::weighted(0.25),
                prop::option::of("[A-Za-z ]{1,20}"),
                arb_cond(false, names.clone(), tests),
            );
            let rep = (any::<bool>(), 1u32..4, any::<[bool; 3]>());
            let route = (
                arb_cond(true, names.clone(), Tests::All),
                any::<bool>(),
                0usize..4,
            );
            let content = (
                prop::option::of(arb_cond(true, names.clone(), Tests::All)),
                prop::sample::select(ContentKind::ALL.to_vec()),
            );
            (
                Just(grades),
                prop::collection::vec(rule, 0..10),
                prop::collection::vec(rep, 1..5),
                prop::collection::vec(route, 0..4),
                any::<[bool; 9]>(),
                prop::collection::btree_map(prop::sample::select(names), 1u32..2000, 0..3),
                prop::collection::vec(content, 0..3),
            )
        })
        .prop_map(|(grades, rules, reps, routes, required, sla, content)| {
            let kinds = [
                ("email", FieldKind::Email),
                ("title", FieldKind::Text),
                ("employees", FieldKind::Number),
                ("country", FieldKind::Select),
                ("interests", FieldKind::Multiselect),
                ("phone", FieldKind::Phone),
                ("consent", FieldKind::Consent),
                ("newsletter", FieldKind::Checkbox),
                ("gclid", FieldKind::Hidden),
            ];
            let fields = kinds
                .iter()
                .zip(required)
                .map(|((id, kind), req)| field(id, *kind, req))
                .collect();
            let rules = rules
                .into_iter()
                .enumerate()
                .map(|(i, (points, knockout, edge, description, when))| RawRule {
                    id: format!("rule-{i}"),
                    description,
                    points,
                    knockout,
                    visibility: if edge {
                        Visibility::Edge
                    } else {
                        Visibility::Public
                    },
                    when,
                })
                .collect();
            // rep-0 is always active so every team (which all include it) can take leads.
            let reps: Vec<RawRep> = reps
                .into_iter()
                .enumerate()
                .map(|(i, (active, weight, contact))| RawRep {
                    id: format!("rep-{i}"),
                    name: format!("Rep {i}"),
                    email: contact[0].then(|| format!("rep{i}@private.example")),
                    channels: [
                        contact[1].then(|| RawChannel {
                            kind: ChannelKind::Webhook,
                            url: format!("https://hooks.private.example/rep{i}"),
                            secret: Some(format!("env:WEBHOOK_SECRET_REP_{i}")),
                            id: None,
                            events: Vec::new(),
                        }),
                        contact[2].then(|| RawChannel {
                            kind: ChannelKind::Slack,
                            url: format!("env:SLACK_URL_REP_{i}"),
                            secret: None,
                            id: None,
                            events: vec!["lead.qualified".to_owned()],
                        }),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                    booking_url: contact[0].then(|| format!("https://book.example/rep{i}")),
                    weight,
                    active: active || i == 0,
                })
                .collect();
            let teams = vec![
                RawTeam {
                    id: "everyone".to_owned(),
                    name: "Everyone".to_owned(),
                    reps: reps.iter().map(|r| r.id.clone()).collect(),
                    channels: vec![RawChannel {
                        kind: ChannelKind::Slack,
                        url: "env:SLACK_URL_EVERYONE".to_owned(),
                        secret: None,
                        id: None,
                        events: Vec::new(),
                    }],
                },
                RawTeam {
                    id: "first".to_owned(),
                    name: "First".to_owned(),
                    reps: vec!["rep-0".to_owned()],
                    channels: Vec::new(),
                },
            ];
            let mut raw_routes: Vec<RawRoute> = routes
                .into_iter()
                .enumerate()
                .map(|(i, (when, to_team, n))| RawRoute {
                    id: format!("route-{i}"),
                    description: None,
                    when: Some(when),
                    team: to_team.then(|| ["everyone", "first"][n % 2].to_owned()),
                    rep: (!to_team).then(|| reps[n % reps.len()].id.clone()),
                })
                .collect();
            raw_routes.push(RawRoute {
                id: "fallback".to_owned(),
                description: None,
                when: None,
                team: Some("everyone".to_owned()),
                rep: None,
            });
            // Reps with an email own a named account each.
            let ownership = RawOwnership {
                days: 90,
                returning_days: 30,
                accounts: reps
                    .iter()
                    .filter(|r| r.email.is_some())
                    .map(|r| RawAccount {
                        domain: format!("account-of-{}.example", r.id),
                        rep: r.id.clone(),
                    })
                    .collect(),
            };
            RawPlaybook {
                id: "generated".to_owned(),
                name: "Generated".to_owned(),
                default_locale: "en".to_owned(),
                allowed_origins: vec!["https://www.example.com".to_owned()],
                text: Default::default(),
                fields,
                steps: Vec::new(),
                rules,
                grades,
                reps,
                teams,
                routes: raw_routes,
                sla: RawSla {
                    minutes: sla.into(),
                    escalate_to: Some("rep-0".to_owned()),
                    reassign: false,
                },
                outcomes: Default::default(),
                ownership,
                content: content
                    .into_iter()
                    .enumerate()
                    .map(|(i, (when, kind))| RawContent {
                        id: format!("content-{i}"),
                        kind,
                        title: format!("Private content {i}"),
                        url: Some(format!("https://enablement.private.example/{i}")),
                        summary: None,
                        when,
                    })
                    .collect(),
                privacy: Default::default(),
                experiment: None,
                published: None,
            }
        })
}

fn compiled(raw: &RawPlaybook) -> Playbook {
    baton::compile(raw.clone()).unwrap_or_else(|p| {
        panic!(
            "a generated playbook must compile:\n{p}\n{}",
            serde_json::to_string_pretty(raw).unwrap()
        )
    })
}

// ------------------------------------------------------------------ JSON with any key order

/// Serializes `v` with object keys in an order picked by `seed`, so two texts
/// of the same document differ only in key order.
fn shuffled_json(v: &Json, seed: &mut u64) -> String {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            // A small LCG is plenty to vary the order between calls.
            for i in (1..keys.len()).rev() {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                keys.swap(i, (*seed >> 33) as usize % (i + 1));
            }
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Json::String(k.clone()), shuffled_json(&m[k], seed)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Json::Array(a) => {
            let parts: Vec<String> = a.iter().map(|x| shuffled_json(x, seed)).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

// ------------------------------------------------------------------ the properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_submission_to_the_demo_playbook_gives_a_sound_decision(sub in submission(demo())) {
        let pb = demo();
        let d = pb.evaluate(&sub);
        check_decision(pb, &sub, &d);
    }

    #[test]
    fn the_public_demo_copy_differs_only_by_edge_rules(sub in submission(demo())) {
        let full = demo();
        let public = baton::compile_published(full.public()).unwrap();
        let (df, dp) = (full.evaluate(&sub), public.evaluate(&sub));
        check_decision(&public, &sub, &dp);
        assert!(dp.provisional);
        let edge: BTreeSet<&str> = full.raw().rules.iter()
            .filter(|r| r.visibility == Visibility::Edge).map(|r| r.id.as_str()).collect();
        let without_edge: Vec<_> = df.reasons.iter().filter(|r| !edge.contains(r.rule.as_str())).collect();
        assert_eq!(dp.reasons.iter().collect::<Vec<_>>(), without_edge);
        assert_eq!(dp.field_errors, df.field_errors);
        assert_eq!(dp.version, df.version);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_submission_to_a_generated_playbook_gives_a_sound_decision(
        (raw, subs) in arb_playbook().prop_flat_map(|raw| {
            let subs = prop::collection::vec(submission(&compiled(&raw)), 1..6);
            (Just(raw), subs)
        })
    ) {
        let pb = compiled(&raw);
        let public = baton::compile_published(pb.public()).unwrap();
        let edge_rules = raw.rules.iter().filter(|r| r.visibility == Visibility::Edge).count();
        for sub in &subs {
            let d = pb.evaluate(sub);
            check_decision(&pb, sub, &d);
            // Content is picked in playbook order, each entry once.
            let picked: Vec<&str> = pb.content_for(sub, &d).iter().map(|c| c.id.as_str()).collect();
            let order: Vec<&str> = pb.content().iter().map(|c| c.id.as_str()).filter(|id| picked.contains(id)).collect();
            assert_eq!(picked, order);
            assert!(public.content_for(sub, &d).is_empty(), "the public copy has no content");
            let dp = public.evaluate(sub);
            check_decision(&public, sub, &dp);
            if edge_rules == 0 {
                // Nothing private: the browser reaches the edge's verdict exactly.
                assert_eq!(dp, d);
            }
        }
    }

    #[test]
    fn the_public_copy_never_carries_edge_rules_or_private_contacts(raw in arb_playbook()) {
        let pb = compiled(&raw);
        let public = pb.public();
        assert!(public.rules.iter().all(|r| r.visibility == Visibility::Public));
        assert!(public.allowed_origins.is_empty());
        for rep in &public.reps {
            assert_eq!((&rep.email, rep.channels.len()), (&None, 0));
        }
        assert!(public.teams.iter().all(|t| t.channels.is_empty()));
        assert!(public.content.is_empty());
        assert!(public.ownership.accounts.is_empty());
        let text = serde_json::to_string(&public).unwrap();
        let channels = raw.reps.iter().flat_map(|r| &r.channels).chain(raw.teams.iter().flat_map(|t| &t.channels));
        let private = raw.reps.iter().filter_map(|r| r.email.as_ref())
            .chain(channels.flat_map(|c| std::iter::once(&c.url).chain(&c.secret)))
            .chain(raw.ownership.accounts.iter().map(|a| &a.domain))
            .chain(raw.content.iter().map(|c| &c.title));
        for secret in private {
            assert!(!text.contains(secret.as_str()), "public copy leaks `{secret}`");
        }
        let edge: Vec<&RawRule> = raw.rules.iter().filter(|r| r.visibility == Visibility::Edge).collect();
        for r in &edge {
            assert!(!text.contains(&format!("\"{}\"", r.id)), "public copy names edge rule `{}`", r.id);
        }
        let published = public.published.clone().unwrap();
        assert_eq!(published.version, pb.version());
        assert_eq!(published.edge_rules_removed as usize, edge.len());
        let back = baton::compile_published(public).unwrap();
        assert_eq!(back.version(), pb.version());
        assert_eq!(back.is_provisional(), !edge.is_empty());
        // Cutting a public copy of the public copy keeps the count.
        assert_eq!(back.public().published.unwrap().edge_rules_removed as usize, edge.len());
    }

    #[test]
    fn the_version_survives_canonical_json_toml_and_any_key_order(raw in arb_playbook(), seed in any::<u64>()) {
        let pb = compiled(&raw);
        let canonical = baton::canonical_json(pb.raw());
        let again = baton::parse_json(&canonical).unwrap();
        assert_eq!(again.version(), pb.version(), "canonical JSON round trip");
        assert_eq!(baton::canonical_json(again.raw()), canonical, "canonical form is a fixed point");

        let doc: Json = serde_json::from_str(&canonical).unwrap();
        let mut seed = seed;
        let reordered = shuffled_json(&doc, &mut seed);
        assert_eq!(baton::parse_json(&reordered).unwrap().version(), pb.version(), "key order");

        let toml_text = toml::to_string(pb.raw()).unwrap();
        let from_toml = baton::parse_toml(&toml_text)
            .unwrap_or_else(|p| panic!("{p}\n{toml_text}"));
        assert_eq!(from_toml.version(), pb.version(), "TOML and JSON hash the same");
    }

    #[test]
    fn field_order_never_changes_the_decision(
        fields in prop::collection::btree_map(
            prop_oneof![4 => prop::sample::select(demo_ids()), 1 => "[a-z_]{1,8}"],
            json_answer(),
            0..12,
        ),
        ctx in context(),
        locale in prop::option::of(prop::sample::select(vec!["en", "de", "fr"])),
        seeds in any::<(u64, u64)>(),
    ) {
        let doc = json!({
            "locale": locale,
            "fields": fields,
            "context": serde_json::to_value(&ctx).unwrap(),
        });
        let (mut a, mut b) = seeds;
        let first: Submission = serde_json::from_str(&shuffled_json(&doc, &mut a)).unwrap();
        let second: Submission = serde_json::from_str(&shuffled_json(&doc, &mut b)).unwrap();
        let pb = demo();
        assert_eq!(pb.evaluate(&first), pb.evaluate(&second));
    }
}

/// A field answer as JSON, as a browser or an API client sends it.
fn json_answer() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        (-1e12f64..1e12).prop_map(Json::from),
        text().prop_map(Json::from),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Json::Array)
    })
}

// ------------------------------------------------------------------ grades against an oracle

/// One checkbox per rule, so the score is exactly the sum of the checked rules' points.
fn oracle_playbook(points: &[i32], thresholds: &[i32], qualified: &[bool]) -> Playbook {
    let fields: Vec<Json> = (0..points.len())
        .map(|i| json!({"id": format!("c{i}"), "kind": "checkbox", "label": "x"}))
        .collect();
    let rules: Vec<Json> = points
        .iter()
        .enumerate()
        .map(|(i, p)| json!({"id": format!("r{i}"), "points": p, "when": {"field": format!("c{i}"), "op": "equals", "value": true}}))
        .collect();
    let mut grades: Vec<Json> = thresholds
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"grade": format!("G{i}"), "min_score": m, "qualified": i == 0 || qualified[i]}))
        .collect();
    grades.push(json!({"grade": "LAST"}));
    let doc = json!({
        "id": "oracle", "name": "Oracle", "fields": fields, "rules": rules, "grades": grades,
        "reps": [{"id": "ana", "name": "Ana"}], "routes": [{"id": "all", "rep": "ana"}],
    });
    baton::parse_json(&doc.to_string()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn score_is_the_sum_and_grade_is_monotone_in_score(
        points in prop::collection::vec(-1000i32..1000, 1..8),
        raw_thresholds in prop::collection::btree_set(-3000i32..3000, 1..5),
        qualified in prop::collection::vec(any::<bool>(), 5),
        checks in prop::collection::vec(prop::collection::vec(any::<bool>(), 8), 2..8),
    ) {
        let thresholds: Vec<i32> = raw_thresholds.into_iter().rev().collect();
        let pb = oracle_playbook(&points, &thresholds, &qualified);
        let mut seen: Vec<(i32, usize)> = Vec::new();
        for c in &checks {
            let fields = (0..points.len()).map(|i| (format!("c{i}"), Value::Bool(c[i]))).collect();
            let sub = Submission { fields, ..Submission::default() };
            let d = pb.evaluate(&sub);
            check_decision(&pb, &sub, &d);
            let want: i32 = (0..points.len()).filter(|&i| c[i]).map(|i| points[i]).sum();
            assert_eq!(d.score, want);
            let rank = thresholds.iter().position(|m| want >= *m).unwrap_or(thresholds.len());
            let name = if rank == thresholds.len() { "LAST".to_owned() } else { format!("G{rank}") };
            assert_eq!(d.grade, name);
            assert_eq!(d.qualified, rank < thresholds.len() && (rank == 0 || qualified[rank]));
            seen.push((d.score, rank));
        }
        // A higher score never gets a lower grade (a higher rank number).
        for (s1, r1) in &seen {
            for (s2, r2) in &seen {
                if s1 <= s2 {
                    assert!(r1 >= r2, "score {s1} got grade #{r1} but {s2} got #{r2}");
                }
            }
        }
    }
}

#[test]
fn the_demo_playbook_hashes_the_same_from_toml_and_from_json() {
    let doc: Json = toml::from_str(DEMO_TOML).unwrap();
    let from_json = baton::parse_json(&doc.to_string()).unwrap();
    assert_eq!(from_json.version(), demo().version());
    let mut seed = 7;
    let reordered = baton::parse_json(&shuffled_json(&doc, &mut seed)).unwrap();
    assert_eq!(reordered.version(), demo().version());
}

// ------------------------------------------------------------------ the map every submission is

/// One change to a map: insert a key (from a small alphabet, so keys
/// collide, share prefixes and differ in length) or remove one.
fn map_op() -> impl Strategy<Value = (bool, String, u8)> {
    (any::<bool>(), "[ab\u{e9}]{0,4}", any::<u8>())
}

proptest! {
    /// `SortedMap` keeps its keys end to end in one buffer; whatever is
    /// inserted and removed, it answers as a `BTreeMap<String, _>` does:
    /// the same entries in the same order, the same lookups, the same JSON.
    #[test]
    fn sorted_map_behaves_as_a_btreemap(ops in prop::collection::vec(map_op(), 0..40)) {
        let mut ours = baton::SortedMap::new();
        let mut theirs = std::collections::BTreeMap::new();
        for (insert, key, value) in ops {
            if insert {
                prop_assert_eq!(ours.insert(key.clone(), value), theirs.insert(key, value));
            } else {
                prop_assert_eq!(ours.remove(&key), theirs.remove(&key));
            }
            prop_assert!(ours.iter().eq(theirs.iter().map(|(k, v)| (k.as_str(), v))));
            prop_assert_eq!(ours.len(), theirs.len());
            for (i, k) in theirs.keys().enumerate() {
                prop_assert_eq!(ours.key(i), Some(k.as_str()));
                prop_assert_eq!(ours.get(k), theirs.get(k));
            }
        }
        let json = serde_json::to_string(&ours).unwrap_or_default();
        prop_assert_eq!(&json, &serde_json::to_string(&theirs).unwrap_or_default());
        let back: baton::SortedMap<u8> = serde_json::from_str(&json).unwrap_or_default();
        prop_assert_eq!(back, ours);
    }
}

// ------------------------------------------------------------------ the shortcut for clean submissions

/// `direct.rs` is part of the `bulk` feature.
#[cfg(feature = "bulk")]
mod direct {
    use super::*;

    const PEER_TOML: &str = include_str!("../../bench/peer-rules.toml");

    /// `score` scores a clean submission straight from its values (`direct.rs`)
    /// and any other through a validated lead. Wherever it takes the shortcut it
    /// must reach the full path's verdict exactly: score, grade, knock-out, every
    /// rule that held. Checked on generated playbooks and on the peer benchmark's,
    /// and the shortcut must be taken often enough for that to mean something.
    #[test]
    fn scoring_straight_from_the_values_agrees_with_the_full_path() {
        use proptest::test_runner::{Config, TestRunner};
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

        let peer = baton::parse_toml(PEER_TOML).expect("bench/peer-rules.toml compiles");
        let (taken, scored) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let check = |pb: &Playbook, sub: &Submission| {
            let full = pb.score_in_full(sub);
            scored.fetch_add(1, Relaxed);
            if let Some(direct) = pb.score_directly(sub) {
                taken.fetch_add(1, Relaxed);
                assert_eq!(direct, full, "{}", serde_json::to_string(sub).unwrap());
            }
            assert_eq!(pb.score(sub), full);
        };
        let mut runner = TestRunner::new(Config::with_cases(256));
        let generated = playbook_with(Tests::Direct).prop_flat_map(|raw| {
            let pb = compiled(&raw);
            let subs = (
                prop::collection::vec(submission(&pb), 1..4),
                prop::collection::vec(mostly_clean(&pb), 1..8),
            );
            (Just(raw), subs)
        });
        runner
            .run(&generated, |(raw, (messy, clean))| {
                let pb = compiled(&raw);
                for sub in messy.iter().chain(&clean) {
                    check(&pb, sub);
                }
                Ok(())
            })
            .unwrap();
        let generated_taken = taken.swap(0, Relaxed);
        let generated_scored = scored.swap(0, Relaxed);
        // A runner counts the cases it has run: a new one for the next strategy.
        let subs = (
            prop::collection::vec(submission(&peer), 1..4),
            prop::collection::vec(mostly_clean(&peer), 1..8),
        );
        TestRunner::new(Config::with_cases(256))
            .run(&subs, |(messy, clean)| {
                for sub in messy.iter().chain(&clean) {
                    check(&peer, sub);
                }
                Ok(())
            })
            .unwrap();
        let (peer_taken, peer_scored) = (taken.load(Relaxed), scored.load(Relaxed));
        // Messy answers take the full path; most clean ones the shortcut.
        assert!(
            generated_taken * 4 > generated_scored,
            "{generated_taken} of {generated_scored}"
        );
        assert!(
            peer_taken * 4 > peer_scored,
            "{peer_taken} of {peer_scored}"
        );
    }

    /// An answer as the widget sends it: of the field's kind, a select's as
    /// listed, a number as a number.
    fn clean(field: &baton::Field) -> BoxedStrategy<Value> {
        fn text(re: &'static str) -> BoxedStrategy<Value> {
            re.prop_map(Value::Text).boxed()
        }
        match field.kind {
            FieldKind::Email => prop_oneof![
                text("[a-z0-9]{1,10}(\\.[a-z0-9]{1,5})?@[a-z]{1,10}\\.(com|de|io)"),
                prop::sample::select(vec!["ana@acme.com", "someone@gmail.com", "Ana@EU.Acme.COM"])
                    .prop_map(|s| Value::Text(s.to_owned())),
            ]
            .boxed(),
            FieldKind::Text => text("[A-Za-z ]{1,30}"),
            FieldKind::Number => {
                let lo = field.min.unwrap_or(-100).max(-1_000_000);
                let hi = field.max.unwrap_or(10_000).min(1_000_000);
                (lo..=hi).prop_map(Value::Int).boxed()
            }
            FieldKind::Select => prop::sample::select(field.options.clone())
                .prop_map(Value::Text)
                .boxed(),
            FieldKind::Phone => text("\\+49 [0-9]{6,10}"),
            FieldKind::Hidden => text("[A-Za-z0-9_-]{0,16}"),
            // A required box ticked, a required choice made: else it is invalid.
            FieldKind::Checkbox | FieldKind::Consent if field.required => {
                Just(Value::Bool(true)).boxed()
            }
            FieldKind::Checkbox | FieldKind::Consent => any::<bool>().prop_map(Value::Bool).boxed(),
            FieldKind::Multiselect => {
                let n = field.options.len();
                prop::sample::subsequence(field.options.clone(), usize::from(field.required)..=n)
                    .prop_map(|v| Value::List(v.into_iter().map(Value::Text).collect()))
                    .boxed()
            }
        }
    }

    /// Submissions mostly of `clean` answers, some `plausible` or missing ones.
    fn mostly_clean(pb: &Playbook) -> impl Strategy<Value = Submission> {
        let answers = answers(pb, |f| {
            prop_oneof![
                30 => clean(f).prop_map(Some),
                2 => plausible(f).prop_map(Some),
                1 => Just(None),
            ]
            .boxed()
        });
        (
            answers,
            prop::collection::btree_map("[a-z_]{1,8}", value(), 0..2),
        )
            .prop_map(|(answers, extra)| {
                let mut fields = extra;
                fields.extend(answers.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
                Submission {
                    fields: fields.into(),
                    ..Submission::default()
                }
            })
    }

    /// With `bulk`, rules are flattened (`flat.rs`): each distinct test
    /// settled once into a bit, each rule a mask or a formula over the bits.
    /// The verdict must be the one of walking the condition trees, on
    /// playbooks with every operator, `not` and nesting.
    #[test]
    fn flattened_rules_reach_the_verdicts_of_the_tree_walk() {
        use proptest::test_runner::{Config, TestRunner};
        let generated = arb_playbook().prop_flat_map(|raw| {
            let pb = compiled(&raw);
            let subs = (
                prop::collection::vec(submission(&pb), 1..4),
                prop::collection::vec(mostly_clean(&pb), 1..4),
            );
            (Just(raw), subs)
        });
        TestRunner::new(Config::with_cases(256))
            .run(&generated, |(raw, (messy, clean))| {
                let pb = compiled(&raw);
                for sub in messy.iter().chain(&clean) {
                    prop_assert_eq!(pb.score_in_full(sub), pb.score_by_walk(sub));
                }
                Ok(())
            })
            .unwrap();
    }

    /// The peer benchmark's leads as the workload writes them take the shortcut.
    #[test]
    fn a_clean_lead_to_the_peer_playbook_is_scored_straight_from_its_values() {
        let peer = baton::parse_toml(PEER_TOML).unwrap();
        let sub: Submission = serde_json::from_value(json!({ "fields": {
            "email": "Ana@Acme.COM", "employees": 250, "industry": "saas", "country": "DE",
            "jobTitle": "VP of Sales", "seniority": "vp", "budget": 120000, "timeline": "now",
            "source": "demo-request", "pageViews": 12, "usesCompetitor": true, "hasPhone": true,
            "annualRevenue": 20000000
        }}))
        .unwrap();
        let direct = peer
            .score_directly(&sub)
            .expect("a clean lead takes the shortcut");
        assert_eq!(direct, peer.score_in_full(&sub));
        let d = peer.evaluate(&sub);
        assert_eq!((direct.score, direct.qualified), (d.score, d.qualified));
        assert!(d.qualified && d.score >= 60, "{d:?}");
    }
}
