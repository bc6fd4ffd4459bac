//! `Playbook::open_questions` ("ask only what matters", #12): held to brute
//! force on generated playbooks (a field it leaves out never changes the
//! outcome, whatever the unanswered fields are answered), to exactness where
//! one field alone decides, and to what a visitor of the demo form sees.
//!
//! Native only (proptest). `PROPTEST_CASES=N` runs more cases.
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

use baton::wire::{Context, Utm};
use baton::{Playbook, Submission, Value};
use proptest::prelude::*;
use serde_json::{json, Value as Json};

/// What a visitor's answers can change: grade, qualification, knock-out, route.
type Outcome = (String, bool, Option<String>, Option<String>);

fn outcome(pb: &Playbook, sub: &Submission) -> Outcome {
    let d = pb.evaluate(sub);
    (
        d.grade,
        d.qualified,
        d.knocked_out,
        d.route.map(|r| r.route),
    )
}

fn submission(answers: &[(&str, Value)], context: Context) -> Submission {
    Submission {
        locale: None,
        fields: answers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        context,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

// ------------------------------------------------------------------ generated playbooks

/// The generated form: small, so that every combination of interesting
/// answers to a few of its fields can be tried.
const FORM: [(&str, &str); 8] = [
    ("email", "email"),
    ("title", "text"),
    ("employees", "number"),
    ("country", "select"),
    ("interests", "multiselect"),
    ("newsletter", "checkbox"),
    ("consent", "consent"),
    ("gclid", "hidden"),
];
const COUNTRIES: [&str; 3] = ["DE", "US", "other"];
const INTERESTS: [&str; 3] = ["forecasting", "attribution", "dashboards"];
const WORDS: [&str; 5] = ["vp", "head", "ops", "student", "chief"];
const DOMAINS: [&str; 3] = ["acme.com", "tableau.com", "gmail.com"];
const SOURCES: [&str; 2] = ["google", "bing"];
const GRADES: [&str; 4] = ["A", "B", "C", "D"];
/// Employees: small numbers, so that thresholds of different rules meet.
const MAX_EMPLOYEES: i64 = 60;

fn leaf(subject: (&str, &str), op: &str, value: Option<Json>) -> Json {
    let (which, name) = subject;
    let mut c = json!({ which: name, "op": op });
    if let Some(v) = value {
        c["value"] = v;
    }
    c
}

fn subset<T: Clone + std::fmt::Debug + 'static>(of: &[T]) -> BoxedStrategy<Vec<T>> {
    prop::sample::subsequence(of.to_vec(), 1..=of.len()).boxed()
}

/// A type-correct test of a form field or fact; routes may also test the verdict.
fn arb_leaf(in_route: bool, grades: Vec<String>) -> BoxedStrategy<Json> {
    let field = |f: &'static str| ("field", f);
    let fact = |f: &'static str| ("fact", f);
    let n = || -3i64..MAX_EMPLOYEES + 3;
    let leaves: Vec<BoxedStrategy<Json>> = vec![
        (
            prop::sample::select(vec![
                "equals",
                "not_equals",
                "at_least",
                "at_most",
                "greater_than",
                "less_than",
            ]),
            n(),
        )
            .prop_map(move |(op, v)| leaf(field("employees"), op, Some(json!(v))))
            .boxed(),
        (n(), n())
            .prop_map(move |(a, b)| {
                leaf(
                    field("employees"),
                    "between",
                    Some(json!([a.min(b), a.max(b)])),
                )
            })
            .boxed(),
        (
            prop::sample::select(vec!["in", "not_in"]),
            prop::collection::vec(n(), 1..3),
        )
            .prop_map(move |(op, v)| leaf(field("employees"), op, Some(json!(v))))
            .boxed(),
        (
            prop::sample::select(vec!["in", "not_in"]),
            subset(&COUNTRIES),
        )
            .prop_map(move |(op, v)| leaf(field("country"), op, Some(json!(v))))
            .boxed(),
        (
            prop::sample::select(vec!["equals", "not_equals"]),
            prop::sample::select(COUNTRIES.to_vec()),
        )
            .prop_map(move |(op, v)| leaf(field("country"), op, Some(json!(v))))
            .boxed(),
        subset(&WORDS)
            .prop_map(move |ws| leaf(field("title"), "contains_word", Some(json!(ws))))
            .boxed(),
        (
            prop::sample::select(vec!["equals", "not_equals"]),
            prop::sample::select(WORDS.to_vec()),
        )
            .prop_map(move |(op, w)| leaf(field("title"), op, Some(json!(w))))
            .boxed(),
        (
            prop::sample::select(vec!["in", "not_in"]),
            subset(&INTERESTS),
        )
            .prop_map(move |(op, v)| leaf(field("interests"), op, Some(json!(v))))
            .boxed(),
        (
            prop::sample::select(vec!["equals", "not_equals"]),
            prop::sample::select(INTERESTS.to_vec()),
        )
            .prop_map(move |(op, v)| leaf(field("interests"), op, Some(json!(v))))
            .boxed(),
        (
            prop::sample::select(vec!["newsletter", "consent"]),
            any::<bool>(),
        )
            .prop_map(move |(f, b)| leaf(field(f), "equals", Some(json!(b))))
            .boxed(),
        (
            prop::sample::select(FORM.iter().map(|(id, _)| *id).collect::<Vec<_>>()),
            prop::sample::select(vec!["present", "absent"]),
        )
            .prop_map(move |(f, op)| leaf(field(f), op, None))
            .boxed(),
        subset(&DOMAINS)
            .prop_map(move |d| leaf(field("email"), "domain_matches", Some(json!(d))))
            .boxed(),
        prop::sample::select(vec!["free_email", "disposable_email", "business_email"])
            .prop_map(move |op| leaf(field("email"), op, None))
            .boxed(),
        (prop::sample::select(vec!["in", "not_in"]), subset(&DOMAINS))
            .prop_map(move |(op, d)| leaf(fact("email_domain"), op, Some(json!(d))))
            .boxed(),
        prop::sample::select(SOURCES.to_vec())
            .prop_map(move |s| leaf(fact("utm_source"), "equals", Some(json!(s))))
            .boxed(),
        (0i64..4)
            .prop_map(move |v| leaf(fact("pages_seen"), "at_least", Some(json!(v))))
            .boxed(),
    ];
    let answers = prop::strategy::Union::new(leaves).boxed();
    if !in_route {
        return answers;
    }
    // Routes often test the verdict: whether it is settled matters there.
    let verdict = prop_oneof![
        any::<bool>().prop_map(move |b| leaf(fact("qualified"), "equals", Some(json!(b)))),
        (-8i64..16).prop_map(move |v| leaf(fact("score"), "at_least", Some(json!(v * 5)))),
        prop::sample::select(grades).prop_map(move |g| leaf(
            fact("grade"),
            "equals",
            Some(json!(g))
        )),
    ];
    prop_oneof![3 => answers, 2 => verdict].boxed()
}

fn arb_cond(in_route: bool, grades: Vec<String>) -> BoxedStrategy<Json> {
    arb_leaf(in_route, grades)
        .prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(|cs| json!({ "all": cs })),
                prop::collection::vec(inner.clone(), 1..4).prop_map(|cs| json!({ "any": cs })),
                inner.prop_map(|c| json!({ "not": c })),
            ]
        })
        .boxed()
}

/// A playbook over `FORM`: a few rules (some knock-outs), one to four
/// grades, routes (some to nobody available) that may test the verdict.
fn arb_playbook() -> impl Strategy<Value = Json> {
    // Points, grade minimums and the scores routes test are all multiples
    // of 5, so that scores often land right on a line.
    let grades = (
        1usize..=4,
        prop::collection::btree_set(-6i64..14, 3),
        any::<[bool; 3]>(),
    )
        .prop_map(|(n, mins, qualified)| {
            let mins: Vec<i64> = mins.into_iter().rev().collect();
            (0..n)
                .map(|i| {
                    let mut g = json!({ "grade": GRADES[i] });
                    if i + 1 < n {
                        g["min_score"] = json!(mins[i] * 5);
                    }
                    // The top grade qualifies, so some lead can.
                    g["qualified"] = json!(i == 0 || (i + 1 < n && qualified[i]));
                    g
                })
                .collect::<Vec<_>>()
        });
    (grades, any::<[bool; 8]>(), any::<bool>())
        .prop_flat_map(|(grades, required, bo_active)| {
            let names: Vec<String> = grades
                .iter()
                .map(|g| g["grade"].as_str().unwrap().to_owned())
                .collect();
            let rule = (
                (-8i32..8).prop_map(|p| p * 5),
                prop::bool::weighted(0.2),
                arb_cond(false, names.clone()),
            );
            let route = (arb_cond(true, names), 0usize..4);
            (
                Just((grades, required, bo_active)),
                prop::collection::vec(rule, 1..6),
                prop::collection::vec(route, 0..4),
            )
        })
        .prop_map(|((grades, required, bo_active), rules, routes)| {
            let fields: Vec<Json> = FORM
                .iter()
                .zip(required)
                .map(|((id, kind), required)| {
                    let mut f = json!({ "id": id, "kind": kind, "label": id });
                    if *kind != "hidden" {
                        f["required"] = json!(required);
                    }
                    match *kind {
                        "select" => f["options"] = options(&COUNTRIES),
                        "multiselect" => f["options"] = options(&INTERESTS),
                        "number" => {
                            f["min"] = json!(0);
                            f["max"] = json!(MAX_EMPLOYEES);
                        }
                        "hidden" => f["param"] = json!("gclid"),
                        _ => {}
                    }
                    f
                })
                .collect();
            let rules: Vec<Json> = rules
                .into_iter()
                .enumerate()
                .map(|(i, (points, knockout, when))| {
                    json!({ "id": format!("rule-{i}"), "points": points, "knockout": knockout, "when": when })
                })
                .collect();
            let mut routes: Vec<Json> = routes
                .into_iter()
                .enumerate()
                .map(|(i, (when, to))| {
                    let mut r = json!({ "id": format!("route-{i}"), "when": when });
                    match to {
                        0 => r["team"] = json!("everyone"),
                        // Compile refuses a team with nobody active.
                        1 if bo_active => r["team"] = json!("bo-alone"),
                        2 => r["rep"] = json!("ana"),
                        _ => r["rep"] = json!("bo"),
                    }
                    r
                })
                .collect();
            routes.push(json!({ "id": "fallback", "team": "everyone" }));
            let mut teams = vec![json!({ "id": "everyone", "name": "Everyone", "reps": ["ana", "bo"] })];
            if bo_active {
                teams.push(json!({ "id": "bo-alone", "name": "Bo alone", "reps": ["bo"] }));
            }
            json!({
                "id": "generated",
                "name": "Generated",
                "fields": fields,
                "rules": rules,
                "grades": grades,
                // A paused `bo` makes the routes to him pass over.
                "reps": [
                    { "id": "ana", "name": "Ana" },
                    { "id": "bo", "name": "Bo", "active": bo_active },
                ],
                "teams": teams,
                "routes": routes,
            })
        })
}

fn options(values: &[&str]) -> Json {
    values
        .iter()
        .map(|v| json!({ "value": v, "label": v }))
        .collect()
}

fn compiled(doc: &Json) -> Playbook {
    baton::parse_json(&doc.to_string()).unwrap_or_else(|p| {
        panic!(
            "a generated playbook must compile:\n{p}\n{}",
            serde_json::to_string_pretty(doc).unwrap()
        )
    })
}

/// Every number a condition on `field` compares with, from `doc`'s rules and routes.
fn numbers(doc: &Json, field: &str) -> BTreeSet<i64> {
    fn walk(c: &Json, field: &str, out: &mut BTreeSet<i64>) {
        for key in ["all", "any"] {
            for c in c[key].as_array().into_iter().flatten() {
                walk(c, field, out);
            }
        }
        if !c["not"].is_null() {
            walk(&c["not"], field, out);
        }
        if c["field"] == field {
            let v = &c["value"];
            out.extend(v.as_i64());
            out.extend(v.as_array().into_iter().flatten().filter_map(Json::as_i64));
        }
    }
    let mut out = BTreeSet::new();
    for list in ["rules", "routes"] {
        for item in doc[list].as_array().into_iter().flatten() {
            walk(&item["when"], field, &mut out);
        }
    }
    out
}

/// The answers worth trying for each field of `FORM`: for each kind, none
/// first, then one answer on each side of every line the rules draw.
fn interesting(doc: &Json) -> Vec<Vec<Value>> {
    let none = Value::Null;
    FORM.iter()
        .map(|(id, _)| match *id {
            "email" => std::iter::once(none.clone())
                .chain(
                    [
                        "ana@acme.com",
                        "ana@eu.acme.com",
                        "spy@tableau.com",
                        "someone@gmail.com",
                        "t@mailinator.com",
                        "ana@elsewhere.io",
                    ]
                    .map(text),
                )
                .collect(),
            "title" => std::iter::once(none.clone())
                .chain([text("Nothing Relevant"), text(&WORDS.join(" "))])
                .chain(WORDS.map(|w| text(&format!("The {w}"))))
                .chain(WORDS.map(text))
                .collect(),
            "employees" => {
                let mut ns = BTreeSet::from([0, MAX_EMPLOYEES]);
                for n in numbers(doc, id) {
                    ns.extend((n - 1..=n + 1).filter(|n| (0..=MAX_EMPLOYEES).contains(n)));
                }
                std::iter::once(none.clone())
                    .chain(ns.into_iter().map(Value::Int))
                    .collect()
            }
            "country" => std::iter::once(none.clone())
                .chain(COUNTRIES.map(text))
                .collect(),
            "interests" => {
                let mut v = vec![none.clone()];
                for mask in 1..8u8 {
                    let chosen = INTERESTS
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask >> i & 1 == 1)
                        .map(|(_, o)| text(o))
                        .collect();
                    v.push(Value::List(chosen));
                }
                v
            }
            "newsletter" | "consent" => vec![none.clone(), Value::Bool(true)],
            _ => vec![none.clone(), text("abc-123")],
        })
        .collect()
}

/// Answers that fail validation, for the answered part of a submission.
fn invalid(id: &str) -> Value {
    match id {
        "email" => text("not an address"),
        "employees" => Value::Int(MAX_EMPLOYEES + 1),
        "country" => text("Atlantis"),
        "interests" => Value::List(vec![text("cooking")]),
        "newsletter" | "consent" => text("perhaps"),
        _ => text(&"x".repeat(600)),
    }
}

/// How many combinations one case may try: enough for four fields of
/// several answers each, few enough that a case takes milliseconds.
const MAX_COMBINATIONS: usize = 1500;

/// A generated playbook, a partial submission to it and the fields left unanswered.
#[derive(Debug, Clone)]
struct Case {
    doc: Json,
    /// Per field of `FORM`: an index into its interesting answers, or an
    /// invalid answer (`None`).
    answers: Vec<Option<usize>>,
    unanswered: Vec<usize>,
    /// Whether the submission also holds (ignored) answers for the unanswered.
    stale: bool,
    utm_source: Option<&'static str>,
    pages: usize,
}

fn arb_case() -> impl Strategy<Value = Case> {
    (
        arb_playbook(),
        prop::collection::vec(
            prop_oneof![12 => (0usize..64).prop_map(Some), 1 => Just(None)],
            FORM.len(),
        ),
        prop::sample::subsequence((0..FORM.len()).collect::<Vec<_>>(), 1..=4).prop_shuffle(),
        any::<bool>(),
        prop::option::of(prop::sample::select(SOURCES.to_vec())),
        0usize..5,
    )
        .prop_map(
            |(doc, answers, unanswered, stale, utm_source, pages)| Case {
                doc,
                answers,
                unanswered,
                stale,
                utm_source,
                pages,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Soundness: for every field `open_questions` leaves out, and every
    /// combination of interesting answers to the unanswered fields,
    /// answering it or not gives the same outcome.
    #[test]
    fn a_field_left_out_never_changes_the_outcome(case in arb_case()) {
        let pb = compiled(&case.doc);
        let domains = interesting(&case.doc);
        // The first unanswered fields that fit in the budget.
        let mut unanswered = Vec::new();
        let mut combinations = 1;
        for &i in &case.unanswered {
            if combinations * domains[i].len() <= MAX_COMBINATIONS {
                combinations *= domains[i].len();
                unanswered.push(i);
            }
        }
        let context = Context {
            utm: Utm { source: case.utm_source.map(str::to_owned), ..Utm::default() },
            pages_seen: (0..case.pages).map(|p| format!("/page-{p}")).collect(),
            ..Context::default()
        };
        let answered: Vec<(&str, Value)> = FORM
            .iter()
            .enumerate()
            .filter(|(i, _)| !unanswered.contains(i))
            .filter_map(|(i, (id, _))| {
                let v = match case.answers[i] {
                    Some(k) => domains[i][k % domains[i].len()].clone(),
                    None => invalid(id),
                };
                (v != Value::Null).then_some((*id, v))
            })
            .collect();
        let mut asked = answered.clone();
        if case.stale {
            // Whatever the submission holds for them, they count as unanswered.
            for &i in &unanswered {
                asked.push((FORM[i].0, domains[i][case.answers[i].unwrap_or(1) % domains[i].len()].clone()));
            }
        }
        let ids: Vec<&str> = unanswered.iter().map(|&i| FORM[i].0).collect();
        let open = pb.open_questions(&submission(&asked, context.clone()), &ids);
        assert!(open.iter().all(|id| ids.contains(id)), "only unanswered fields are open: {open:?}");

        // Every combination, in mixed radix: digit 0 is "no answer".
        let radix: Vec<usize> = unanswered.iter().map(|&i| domains[i].len()).collect();
        let digits = |mut n: usize| -> Vec<usize> {
            radix.iter().map(|&r| { let d = n % r; n /= r; d }).collect()
        };
        let outcomes: Vec<Outcome> = (0..combinations)
            .map(|n| {
                let mut answers = answered.clone();
                for (k, d) in digits(n).into_iter().enumerate() {
                    let i = unanswered[k];
                    if d > 0 {
                        answers.push((FORM[i].0, domains[i][d].clone()));
                    }
                }
                outcome(&pb, &submission(&answers, context.clone()))
            })
            .collect();
        let mut place = 1;
        for (k, &i) in unanswered.iter().enumerate() {
            if !open.contains(&FORM[i].0) {
                for n in 0..combinations {
                    let d = n / place % radix[k];
                    let without = n - d * place;
                    if outcomes[n] != outcomes[without] {
                        let shown: Vec<String> = digits(n)
                            .iter()
                            .zip(&unanswered)
                            .map(|(&d, &i)| format!("{} = {:?}", FORM[i].0, domains[i][d]))
                            .collect();
                        panic!(
                            "`{}` was left out, but answering it changes {:?} into {:?}\n\
                             answered: {answered:?}\nunanswered: {shown:?}\nopen: {open:?}\nplaybook: {}",
                            FORM[i].0,
                            outcomes[without],
                            outcomes[n],
                            serde_json::to_string_pretty(&case.doc).unwrap(),
                        );
                    }
                }
            }
            place *= radix[k];
        }
    }
}

// ------------------------------------------------------------------ one field decides

/// Checkboxes `c0`, `c1`, `c2`, each a rule of its own points; grade `A`
/// from `threshold` (qualified), else `B`; with `route`, leads who tick `c0`
/// go to their own route. Only `c0` is ever left unanswered.
fn one_decides(points: [i32; 3], knockout: bool, threshold: i32, route: bool) -> Playbook {
    let fields: Vec<Json> = (0..3)
        .map(|i| json!({ "id": format!("c{i}"), "kind": "checkbox", "label": "x" }))
        .collect();
    let rules: Vec<Json> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "id": format!("r{i}"), "points": p, "knockout": knockout && i == 0,
                "when": { "field": format!("c{i}"), "op": "equals", "value": true },
            })
        })
        .collect();
    let mut routes = vec![json!({ "id": "fallback", "rep": "bo" })];
    if route {
        routes.insert(
            0,
            json!({ "id": "ticked", "rep": "ana", "when": { "field": "c0", "op": "equals", "value": true } }),
        );
    }
    let doc = json!({
        "id": "one", "name": "One field decides", "fields": fields, "rules": rules,
        "grades": [{ "grade": "A", "min_score": threshold, "qualified": true }, { "grade": "B" }],
        "reps": [{ "id": "ana", "name": "Ana" }, { "id": "bo", "name": "Bo" }],
        "routes": routes,
    });
    compiled(&doc)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Precision: where one field alone can move the lead across a grade
    /// boundary, knock it out or route it, that field is open, and only then.
    #[test]
    fn the_one_field_that_decides_is_open(
        points in [-50i32..50, -50i32..50, -50i32..50],
        knockout in prop::bool::weighted(0.2),
        route in prop::bool::weighted(0.2),
        threshold in -60i32..60,
        ticked in any::<[bool; 2]>(),
    ) {
        let pb = one_decides(points, knockout, threshold, route);
        let answered = [("c1", Value::Bool(ticked[0])), ("c2", Value::Bool(ticked[1]))];
        let mut with = answered.to_vec();
        with.push(("c0", Value::Bool(true)));
        let decides = outcome(&pb, &submission(&answered, Context::default()))
            != outcome(&pb, &submission(&with, Context::default()));
        let open = pb.open_questions(&submission(&answered, Context::default()), &["c0"]);
        assert_eq!(open == ["c0"], decides, "points {points:?}, threshold {threshold}, open {open:?}");
    }
}

// ------------------------------------------------------------------ the demo form

fn demo() -> &'static Playbook {
    static DEMO: OnceLock<Playbook> = OnceLock::new();
    DEMO.get_or_init(|| {
        baton::parse_toml(include_str!("../../icp.toml")).expect("icp.toml compiles")
    })
}

/// The demo's public copy, what the widget runs on.
fn public_demo() -> &'static Playbook {
    static PUBLIC: OnceLock<Playbook> = OnceLock::new();
    PUBLIC.get_or_init(|| {
        baton::compile_published(demo().public()).expect("the public copy compiles")
    })
}

const OPTIONAL: [&str; 4] = ["title", "interests", "phone", "gclid"];

fn seen(pages: usize, medium: Option<&str>) -> Context {
    Context {
        pages_seen: (0..pages).map(|p| format!("/page-{p}")).collect(),
        utm: Utm {
            medium: medium.map(str::to_owned),
            ..Utm::default()
        },
        ..Context::default()
    }
}

/// Both copies give the same open questions for the demo (its one edge-only
/// rule tests the email, which is required).
fn open_in_demo(
    answers: &[(&str, Value)],
    context: Context,
    unanswered: &[&'static str],
) -> Vec<&'static str> {
    let sub = submission(answers, context);
    let full = demo().open_questions(&sub, unanswered);
    assert_eq!(
        public_demo().open_questions(&sub, unanswered),
        full,
        "public copy"
    );
    full
}

fn required_answers(employees: i64, country: &str, timeline: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("email", text("ana@acme.com")),
        ("name", text("Ana Souza")),
        ("company", text("Acme")),
        ("employees", Value::Int(employees)),
        ("country", text(country)),
        ("timeline", text(timeline)),
        ("consent", Value::Bool(true)),
    ]
}

#[test]
fn a_fresh_demo_form_has_every_scoring_question_open() {
    let every: Vec<&str> = demo().fields().iter().map(|f| f.id.as_str()).collect();
    let open = open_in_demo(&[], Context::default(), &every);
    for id in [
        "email",
        "title",
        "employees",
        "country",
        "timeline",
        "interests",
        "phone",
        "gclid",
    ] {
        assert!(open.contains(&id), "`{id}` scores, so it is open: {open:?}");
    }
    // Required, scoring nothing: open while the lead cannot be valid without it.
    for id in ["name", "company", "consent"] {
        assert!(open.contains(&id), "`{id}` is required: {open:?}");
    }
}

#[test]
fn an_a_lead_routed_already_needs_no_more_answers() {
    // 25 (size) + 10 (region) + 20 (buying now) + 20 (decision maker): A,
    // and the EMEA enterprise route, whatever the optional rest adds.
    let mut answers = required_answers(1000, "DE", "this-quarter");
    answers.push(("title", text("VP Sales")));
    let d = demo().evaluate(&submission(&answers, Context::default()));
    assert_eq!((d.grade.as_str(), d.qualified), ("A", true));
    assert_eq!(d.route.map(|r| r.route).as_deref(), Some("emea-enterprise"));
    let open = open_in_demo(
        &answers,
        Context::default(),
        &["interests", "phone", "gclid"],
    );
    assert_eq!(open, Vec::<&str>::new());
}

#[test]
fn a_title_that_could_knock_out_stays_open_when_nothing_else_matters() {
    // 25 + 10 + 20, 10 for three pages read, 5 for paid search: A without a
    // title, but "Working Student" would knock the lead out.
    let answers = required_answers(1000, "DE", "this-quarter");
    let open = open_in_demo(&answers, seen(3, Some("cpc")), &OPTIONAL);
    assert_eq!(open, ["title"]);
}

#[test]
fn near_a_grade_boundary_every_question_that_scores_is_open() {
    // 10 (growing) + 10 + 10 (this year) + 20 (VP) + 10 (pages) = 60: each of
    // interests, phone and gclid adds 5, so together they reach A at 70.
    let mut answers = required_answers(100, "DE", "this-year");
    answers.push(("title", text("VP Sales")));
    let context = seen(3, None);
    let d = demo().evaluate(&submission(&answers, context.clone()));
    assert_eq!((d.score, d.grade.as_str()), (60, "B"));
    let open = open_in_demo(&answers, context, &["interests", "phone", "gclid"]);
    assert_eq!(open, ["interests", "phone", "gclid"]);
}

#[test]
fn a_knocked_out_lead_far_below_every_boundary_needs_no_more_answers() {
    // A student (knocked out) at a small company, just researching: -25, and
    // the optional rest adds at most 15, never reaching C at 20.
    let mut answers = required_answers(5, "other", "researching");
    answers.push(("title", text("Working Student")));
    let d = demo().evaluate(&submission(&answers, Context::default()));
    assert_eq!(d.knocked_out.as_deref(), Some("student"));
    let open = open_in_demo(
        &answers,
        Context::default(),
        &["interests", "phone", "gclid"],
    );
    assert_eq!(open, Vec::<&str>::new());
}

#[test]
fn a_required_question_is_open_while_the_lead_could_be_routed() {
    // Everything but the name: the lead is invalid, so unrouted and not
    // qualified, until it is answered.
    let mut answers = required_answers(1000, "DE", "this-quarter");
    answers.retain(|(id, _)| *id != "name");
    answers.push(("title", text("VP Sales")));
    let open = open_in_demo(&answers, Context::default(), &["name", "phone"]);
    assert_eq!(open, ["name"]);
}

#[test]
fn names_the_form_does_not_have_are_never_open() {
    let open = open_in_demo(&[], Context::default(), &["no-such-field", "employees"]);
    assert_eq!(open, ["employees"]);
}
