//! Compile problems: a playbook with mistakes reports every one of them at
//! once, each with the path a person can find in their `icp.toml` and, where
//! there is something specific to say, a hint.
//!
//! Reading happens in two stages: unknown keys are found on the raw document
//! first (a file with a typo'd key reports only unknown keys), then the typed
//! playbook is checked as a whole. Both stages are tested separately.

// What the problems say, their paths and hints: the `diagnostics` feature.
#![cfg(feature = "diagnostics")]
// A test reports by panicking; these lints guard the library, not its tests.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use baton::{Problem, Problems};
use serde_json::{json, Value as Json};

/// (path, message, hint) of every problem, in the order reported.
fn listed(p: &Problems) -> Vec<(String, String, Option<String>)> {
    p.0.iter()
        .map(|x| (x.path.clone(), x.message.clone(), x.hint.clone()))
        .collect()
}

fn owned(expected: &[(&str, &str, Option<&str>)]) -> Vec<(String, String, Option<String>)> {
    expected
        .iter()
        .map(|(p, m, h)| ((*p).to_owned(), (*m).to_owned(), h.map(str::to_owned)))
        .collect()
}

fn toml_problems(src: &str) -> Problems {
    match baton::parse_toml(src) {
        Ok(_) => panic!("this playbook must not compile"),
        Err(p) => p,
    }
}

const TYPED_MISTAKES: &str = r#"
id = "broken"
name = "Every typed mistake at once"

[[fields]]
id = "email"
kind = "email"
label = "Email"

[[fields]]
id = "employees"
kind = "number"
label = "Employees"

[[fields]]
id = "title"
kind = "text"
label = "Title"

[[fields]]
id = "country"
kind = "select"
label = "Country"
options = [{ value = "DE", label = "Germany" }, { value = "US", label = "United States" }]

[[rules]]
id = "size"
points = 2000000000
when = { field = "employees", op = "at_least", value = 100 }

[[rules]]
id = "size"
points = 2000000000
when = { field = "employees", op = "at_least", value = 1000 }

[[rules]]
id = "title-range"
points = 5
when = { field = "title", op = "between", value = [1, 2] }

[[rules]]
id = "typo"
points = 5
when = { any = [
  { field = "title", op = "contains_word", value = ["vp"] },
  { field = "emploees", op = "at_least", value = 50 },
] }

[[rules]]
id = "germany"
points = 5
when = { field = "country", op = "in", value = ["DE", "Germany"] }

[[grades]]
grade = "A"
min_score = 50
qualified = true

[[grades]]
grade = "B"
min_score = 80

[[grades]]
grade = "C"

[[reps]]
id = "ana"
name = "Ana"

[[teams]]
id = "sales"
name = "Sales"
reps = ["ana", "jonsa"]

[[reps]]
id = "jonas"
name = "Jonas"

[[routes]]
id = "everyone"
team = "sales"

[[routes]]
id = "late"
rep = "ana"
when = { field = "employees", op = "at_least", value = 10 }

[sla]
minutes = { A = 15, Z = 60 }
"#;

#[test]
fn every_mistake_in_a_typed_playbook_is_reported_at_once_with_its_path() {
    let problems = toml_problems(TYPED_MISTAKES);
    let expected = owned(&[
        (
            "grades[1].min_score",
            "grade `B` (min_score 80) is out of order after `A` (min_score 50)",
            Some("list grades from the highest min_score down, each strictly lower"),
        ),
        ("rules[1].id", "duplicate id `size`", None),
        (
            "rules[2].when",
            "`between` does not fit text title",
            Some("use `between` on number fields"),
        ),
        (
            "rules[3].when.any[1]",
            "unknown field `emploees`",
            Some("did you mean `employees`?"),
        ),
        (
            "rules[4].when.value",
            "`Germany` is not one of the choices, so this test never holds",
            Some("expected one of: DE, US"),
        ),
        (
            "rules",
            "points can add up to 4000000015 or down to 0, beyond what a score holds",
            Some("keep the total of positive and of negative points within ±2147483647"),
        ),
        (
            "teams[0].reps[1]",
            "unknown rep `jonsa`",
            Some("did you mean `jonas`?"),
        ),
        (
            "routes[1]",
            "route `late` can never match",
            Some("route `everyone` before it matches every lead; move the catch-all last"),
        ),
        (
            "routes",
            "no fallback route: leads that match no route would be dropped",
            Some("end with a route without `when`, e.g. `[[routes]] id = \"fallback\" team = \"inbound\"`"),
        ),
        (
            "sla.minutes.Z",
            "unknown grade `Z`",
            Some("expected one of: A, B, C"),
        ),
    ]);
    assert_eq!(listed(&problems), expected);
}

#[test]
fn the_readme_example_reads_exactly_like_this() {
    let problems = toml_problems(TYPED_MISTAKES);
    let lines: Vec<String> = problems.0.iter().map(Problem::to_string).collect();
    assert!(lines.contains(
        &"rules[3].when.any[1]: unknown field `emploees` (did you mean `employees`?)".to_owned()
    ));
    // Display joins them one per line, which is what `baton check` prints.
    assert_eq!(problems.to_string().lines().count(), problems.0.len());
}

const KEY_MISTAKES: &str = r#"
id = "broken"
name = "Every unknown key at once"
grade = "A"

[[fields]]
id = "email"
kind = "email"
lable = "Email"

[[rules]]
id = "size"
pionts = 10
when = { feild = "employees", op = "at_least", value = 100 }

[[grades]]
grade = "A"
min_scor = 10
qualified = true

[[grades]]
grade = "B"

[[reps]]
id = "ana"
name = "Ana"
emial = "ana@x.example"

[[routes]]
id = "all"
rep = "ana"
when = { all = [{ not = { field = "email", op = "present", vaule = 1 } }] }

[sla]
minutes = { A = 15 }
escalate = "ana"
"#;

#[test]
fn every_unknown_key_is_reported_at_once_before_anything_else() {
    let problems = toml_problems(KEY_MISTAKES);
    let expected = owned(&[
        (
            "grade",
            "unknown key `grade`",
            Some("did you mean `grades`?"),
        ),
        (
            "fields[0].lable",
            "unknown key `lable`",
            Some("did you mean `label`?"),
        ),
        (
            "rules[0].pionts",
            "unknown key `pionts`",
            Some("did you mean `points`?"),
        ),
        (
            "rules[0].when.feild",
            "unknown key `feild`",
            Some("did you mean `field`?"),
        ),
        (
            "grades[0].min_scor",
            "unknown key `min_scor`",
            Some("did you mean `min_score`?"),
        ),
        (
            "reps[0].emial",
            "unknown key `emial`",
            Some("did you mean `email`?"),
        ),
        (
            "routes[0].when.all[0].not.vaule",
            "unknown key `vaule`",
            Some("did you mean `value`?"),
        ),
        (
            "sla.escalate",
            "unknown key `escalate`",
            Some("did you mean `escalate_to`?"),
        ),
    ]);
    // The typed stage (the rule's test has no field, `employees` does not
    // exist, ...) waits until the keys are right.
    assert_eq!(listed(&problems), expected);
}

#[test]
fn once_the_keys_are_right_the_typed_stage_reports_its_own_problems() {
    let fixed = KEY_MISTAKES
        .replace("grade = \"A\"\n\n[[fields]]", "\n[[fields]]")
        .replace("lable", "label")
        .replace("pionts", "points")
        .replace("feild", "field")
        .replace("min_scor ", "min_score ")
        .replace("emial", "email")
        .replace(", vaule = 1", "")
        .replace("escalate =", "escalate_to =");
    let problems = toml_problems(&fixed);
    assert_eq!(
        listed(&problems),
        owned(&[
            (
                "rules[0].when",
                "unknown field `employees`",
                Some("expected one of: email")
            ),
            (
                "routes",
                "no fallback route: leads that match no route would be dropped",
                Some("end with a route without `when`, e.g. `[[routes]] id = \"fallback\" team = \"inbound\"`")
            ),
        ])
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_path() {
    let src = TYPED_MISTAKES.replace(
        "points = 5\nwhen = { field = \"title\"",
        "points = \"five\"\nwhen = { field = \"title\"",
    );
    let problems = toml_problems(&src);
    assert_eq!(
        listed(&problems),
        owned(&[(
            "rules[2].points",
            "invalid type: string \"five\", expected i32",
            None
        )])
    );
}

#[test]
fn syntax_errors_say_where() {
    let toml = toml_problems("id = \"x\"\nname = \"y\"\n[[fields]\n");
    assert_eq!(toml.0.len(), 1);
    assert_eq!(toml.0[0].path, "line 3");
    assert!(toml.0[0].message.starts_with("not valid TOML: "), "{toml}");

    let json = baton::parse_json("{\"id\": \"x\",,}").unwrap_err();
    assert_eq!(json.0.len(), 1);
    assert!(json.0[0].message.contains("line 1 column"), "{json}");
}

#[test]
fn problems_serialize_for_the_edge_422_answer() {
    let problems = toml_problems(TYPED_MISTAKES);
    let v = serde_json::to_value(&problems).unwrap();
    assert_eq!(
        v[3],
        json!({"path": "rules[3].when.any[1]", "message": "unknown field `emploees`", "hint": "did you mean `employees`?"})
    );
    assert_eq!(
        v[1],
        json!({"path": "rules[1].id", "message": "duplicate id `size`"})
    );
}

#[test]
fn a_playbook_that_is_not_published_is_refused_as_a_public_copy() {
    let pb = baton::parse_json(&base().to_string()).unwrap();
    let p = baton::compile_published(pb.raw().clone()).unwrap_err();
    assert_eq!(p.0[0].path, "published");
}

fn nested_not(depth: usize) -> Json {
    let mut when = json!({"field": "employees", "op": "present"});
    for _ in 0..depth {
        when = json!({ "not": when });
    }
    when
}

#[test]
fn conditions_nested_too_deep_are_refused() {
    let mut doc = base();
    doc["rules"][0]["when"] = nested_not(40);
    let p = baton::parse_json(&doc.to_string()).unwrap_err();
    assert_eq!(
        listed(&p),
        owned(&[(
            "rules[0].when.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not",
            "conditions nest deeper than 32 levels",
            None
        )])
    );
}

/// Nesting a person would never write must be a problem, not a stack overflow
/// of the Worker or the CLI: JSON stops at serde_json's limit, TOML at its parser's.
#[test]
fn absurdly_deep_documents_are_refused_not_a_crash() {
    let mut doc = base();
    doc["rules"][0]["when"] = json!("DEEP");
    let text = doc.to_string().replace(
        "\"DEEP\"",
        &format!(
            "{}{{\"field\":\"employees\",\"op\":\"present\"}}{}",
            "{\"not\":".repeat(50_000),
            "}".repeat(50_000)
        ),
    );
    let p = baton::parse_json(&text).unwrap_err();
    assert!(
        p.0[0]
            .message
            .starts_with("not valid JSON: recursion limit exceeded"),
        "{p}"
    );

    let toml = format!(
        "id = \"t\"\nname = \"T\"\n[[fields]]\nid = \"e\"\nkind = \"email\"\nlabel = \"E\"\n[[rules]]\nid = \"r\"\nwhen = {}{{ field = \"e\", op = \"present\" }}{}\n",
        "{ not = ".repeat(50_000),
        " }".repeat(50_000)
    );
    let p = toml_problems(&toml);
    assert!(p.0[0].message.starts_with("not valid TOML"), "{p}");
}

// ------------------------------------------------------------------ one mistake at a time

/// A small valid playbook every case below breaks in one place.
fn base() -> Json {
    json!({
        "id": "t",
        "name": "T",
        "allowed_origins": ["https://www.example.com"],
        "fields": [
            {"id": "email", "kind": "email", "label": "Email", "required": true},
            {"id": "employees", "kind": "number", "label": "Employees", "min": 1},
            {"id": "title", "kind": "text", "label": "Title"},
            {"id": "country", "kind": "select", "label": "Country",
             "options": [{"value": "DE", "label": "Germany"}, {"value": "US", "label": "USA"}]},
            {"id": "gclid", "kind": "hidden", "label": "gclid", "param": "gclid"}
        ],
        "rules": [{"id": "size", "points": 10, "when": {"field": "employees", "op": "at_least", "value": 100}}],
        "grades": [{"grade": "A", "min_score": 10, "qualified": true}, {"grade": "B"}],
        "reps": [{"id": "ana", "name": "Ana", "email": "ana@x.example"}],
        "teams": [{"id": "sales", "name": "Sales", "reps": ["ana"]}],
        "routes": [{"id": "all", "team": "sales"}],
        "sla": {"minutes": {"A": 15}, "escalate_to": "ana"}
    })
}

#[test]
fn the_base_playbook_compiles() {
    baton::parse_json(&base().to_string()).unwrap();
}

/// Sets `pointer` (a JSON pointer) to `value` in the base playbook, adding
/// the last key when it is not there yet.
fn with(pointer: &str, value: Json) -> Json {
    let mut doc = base();
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    match doc.pointer_mut(parent) {
        Some(Json::Object(m)) => {
            m.insert(last.to_owned(), value);
        }
        Some(Json::Array(a)) => a[last.parse::<usize>().unwrap()] = value,
        _ => panic!("no {parent} in the base playbook"),
    }
    doc
}

#[test]
fn each_mistake_is_found_where_it_is() {
    let rule = |when: Json| with("/rules/0/when", when);
    let cases: Vec<(Json, &str, &str, Option<&str>)> = vec![
        (
            rule(json!({"fact": "score", "op": "at_least", "value": 1})),
            "rules[0].when",
            "`score` is only known after scoring",
            Some("use it in routes, not in rules"),
        ),
        (
            rule(json!({"field": "utm_source", "op": "equals", "value": "x"})),
            "rules[0].when",
            "unknown field `utm_source`",
            Some("`utm_source` is a derived fact: write `fact = \"utm_source\"`"),
        ),
        (
            rule(json!({"fact": "utm_sorce", "op": "equals", "value": "x"})),
            "rules[0].when",
            "unknown fact `utm_sorce`",
            Some("did you mean `utm_source`?"),
        ),
        (
            rule(json!({"field": "employees", "op": "between", "value": [5000, 200]})),
            "rules[0].when.value",
            "between 5000 and 200 can never hold",
            Some("write `[200, 5000]`"),
        ),
        (
            rule(json!({"field": "employees", "op": "between", "value": [1, 2, 3]})),
            "rules[0].when.value",
            "`between` takes two numbers",
            Some("write `value = [50, 5000]` (both ends included)"),
        ),
        (
            rule(json!({"field": "title", "op": "contains_word", "value": ["vp", "--"]})),
            "rules[0].when.value",
            "`--` has no letters or digits to match",
            None,
        ),
        (
            rule(json!({"field": "title", "op": "equals", "value": "  "})),
            "rules[0].when.value",
            "empty text never matches",
            Some("use `op = \"absent\"` to test for an empty answer"),
        ),
        (
            rule(json!({})),
            "rules[0].when",
            "empty condition",
            Some("write e.g. `{ field = \"employees\", op = \"at_least\", value = 50 }` or `{ all = [ … ] }`"),
        ),
        (
            rule(json!({"all": []})),
            "rules[0].when.all",
            "`all` needs at least one condition",
            None,
        ),
        (
            rule(json!({"field": "title", "fact": "utm_source", "op": "present"})),
            "rules[0].when",
            "a test looks at a `field` or a `fact`, not both",
            None,
        ),
        (
            rule(json!({"field": "title", "op": "present", "any": [{"field": "title", "op": "absent"}]})),
            "rules[0].when",
            "a condition has exactly one of `all`, `any`, `not`, or a test (`field`/`fact` with `op`)",
            Some("write e.g. `{ field = \"employees\", op = \"at_least\", value = 50 }` or `{ all = [ … ] }`"),
        ),
        (
            rule(json!({"field": "title"})),
            "rules[0].when",
            "a test needs an `op`",
            Some("e.g. `op = \"equals\"`, `\"in\"`, `\"at_least\"`, `\"contains_word\"`"),
        ),
        (
            rule(json!({"field": "employees", "op": "at_least", "value": "100"})),
            "rules[0].when.value",
            "expected a whole number, found \"100\"",
            None,
        ),
        (
            rule(json!({"field": "employees", "op": "at_least", "value": 1.5})),
            "rules[0].when.value",
            "1.5 is not a whole number",
            Some("scores and comparisons use whole numbers only"),
        ),
        (
            rule(json!({"field": "employees", "op": "at_least"})),
            "rules[0].when.value",
            "this test needs a `value`",
            None,
        ),
        (
            rule(json!({"field": "email", "op": "free_email", "value": true})),
            "rules[0].when.value",
            "`free_email` takes no value",
            None,
        ),
        (
            rule(json!({"field": "title", "op": "free_email"})),
            "rules[0].when",
            "`free_email` does not fit text title",
            Some("use it on an email field or `fact = \"email_domain\"`"),
        ),
        (
            rule(json!({"field": "employees", "op": "contains_word", "value": ["ten"]})),
            "rules[0].when",
            "`contains_word` does not fit number employees",
            Some("use `contains_word` on text fields"),
        ),
        (
            rule(json!({"field": "title", "op": "at_least", "value": 3})),
            "rules[0].when",
            "`at_least` does not fit text title",
            Some("compare numbers only; use `equals` or `in` for text"),
        ),
        (
            rule(json!({"field": "email", "op": "domain_matches", "value": ["ana@x.example"]})),
            "rules[0].when.value",
            "`ana@x.example` is not a domain",
            Some("write domains like `example.com`"),
        ),
        (
            rule(json!({"field": "country", "op": "equals", "value": "Germany"})),
            "rules[0].when.value",
            "`Germany` is not one of the choices, so this test never holds",
            Some("expected one of: DE, US"),
        ),
        (
            with("/routes/0", json!({"id": "all", "team": "sale"})),
            "routes[0].team",
            "unknown team `sale`",
            Some("did you mean `sales`?"),
        ),
        (
            with("/routes/0", json!({"id": "all", "team": "sales", "rep": "ana"})),
            "routes[0]",
            "a route goes to a `team` or a `rep`, not both",
            None,
        ),
        (
            with("/routes/0", json!({"id": "all"})),
            "routes[0]",
            "route `all` goes nowhere",
            Some("set `team = \"…\"` or `rep = \"…\"`"),
        ),
        (
            with("/reps/0/email", json!("ana")),
            "reps[0].email",
            "`ana` is not an email address",
            None,
        ),
        (
            with("/reps/0/booking_url", json!("book.example/ana")),
            "reps[0].booking_url",
            "`book.example/ana` is not a web address",
            Some("start it with https://"),
        ),
        (
            with("/reps/0/active", json!(false)),
            "teams[0]",
            "team `sales` has no active rep",
            Some("leads routed here would reach nobody"),
        ),
        (
            with("/teams/0/reps", json!(["ana", "ana"])),
            "teams[0].reps[1]",
            "rep `ana` is listed twice",
            None,
        ),
        (
            with("/allowed_origins/0", json!("https://www.example.com/landing")),
            "allowed_origins[0]",
            "`https://www.example.com/landing` has a path; an origin is scheme, host and port only",
            Some("write `https://www.example.com`"),
        ),
        (
            with("/allowed_origins/0", json!("www.example.com")),
            "allowed_origins[0]",
            "`www.example.com` is not an origin",
            Some("write it like `https://www.example.com`"),
        ),
        (
            with("/fields/4/required", json!(true)),
            "fields[4].required",
            "a hidden field cannot be required",
            Some("visitors cannot fill it in, so the form could never be sent"),
        ),
        (
            with("/fields/3/options", json!([])),
            "fields[3]",
            "select field `country` has no options",
            Some("add `options = [{ value = \"…\", label = \"…\" }]`"),
        ),
        (
            with("/fields/3/options/1/value", json!("de")),
            "fields[3].options[1].value",
            "duplicate option `de`",
            None,
        ),
        (
            with("/fields/1/max", json!(0)),
            "fields[1]",
            "min 1 is greater than max 0: no answer could pass",
            None,
        ),
        (
            with("/fields/2/id", json!("email")),
            "fields[2].id",
            "duplicate id `email`",
            None,
        ),
        (
            with("/id", json!("my form")),
            "id",
            "`my form` is not a usable form id",
            Some("use 1 to 64 letters, digits, `-`, `_` or `.`; it appears in embed tags and URLs"),
        ),
        (
            with("/grades/1/min_score", json!(0)),
            "grades[1].min_score",
            "the last grade `B` must take every remaining score",
            Some("remove its min_score"),
        ),
        (
            with("/grades/0/qualified", json!(false)),
            "grades",
            "no grade is qualified: no lead could ever become an MQL",
            Some("set `qualified = true` on the top grades"),
        ),
        (
            with("/sla/escalate_to", json!("anna")),
            "sla.escalate_to",
            "unknown rep `anna`",
            Some("did you mean `ana`?"),
        ),
        (
            with("/text", json!({"en_US": {"title": "Hi"}})),
            "text.en_US",
            "`en_US` is not a locale code like `en` or `de`",
            None,
        ),
    ];
    let mut failures = Vec::new();
    // A rep of weight 0 is a mistake of its own, and leaves its team nobody.
    let weight0 = baton::parse_json(&with("/reps/0/weight", json!(0)).to_string()).unwrap_err();
    assert_eq!(
        listed(&weight0),
        owned(&[
            (
                "reps[0].weight",
                "a weight of 0 never gets a lead",
                Some("set `active = false` to pause a rep")
            ),
            (
                "teams[0]",
                "team `sales` has no active rep",
                Some("leads routed here would reach nobody")
            ),
        ])
    );
    for (doc, path, message, hint) in &cases {
        let got = match baton::parse_json(&doc.to_string()) {
            Ok(_) => vec![("(compiled)".to_owned(), String::new(), None)],
            Err(p) => listed(&p),
        };
        let want = owned(&[(path, message, *hint)]);
        if got != want {
            failures.push(format!("expected {want:?}\n     got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------------ channels, content, ownership

fn channel(c: Json) -> Json {
    with("/reps/0/channels", json!([c]))
}

#[test]
fn each_delivery_mistake_is_found_where_it_is() {
    let stored = |key: &str, name: &str| {
        format!("put it in the Worker's secrets (`wrangler secret put {name}`, `.dev.vars` locally) and write `{key} = \"env:{name}\"`")
    };
    let secret_hint = stored("secret", "WEBHOOK_SECRET_ANA");
    let url_hint = stored("url", "WEBHOOK_URL_ANA");
    let slack_hint = stored("url", "SLACK_URL_ANA");
    let team_hint = stored("url", "SLACK_URL_SALES_ALERTS");
    let unsigned_hint = format!(
        "every delivery is signed (Standard Webhooks): make a `whsec_…` secret, {secret_hint}"
    );
    let webhook = |url: &str| {
        channel(json!({"kind": "webhook", "url": url, "secret": "env:WEBHOOK_SECRET_ANA"}))
    };
    let cases: Vec<(Json, &str, &str, Option<&str>)> = vec![
        (
            channel(
                json!({"kind": "webhook", "url": "env:WEBHOOK_URL_ANA", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
            ),
            "reps[0].channels[0].secret",
            "a signing secret must not be written in the playbook",
            Some(&secret_hint),
        ),
        (
            channel(
                json!({"kind": "webhook", "url": "env:WEBHOOK_URL_ANA", "secret": "env:webhook-secret"}),
            ),
            "reps[0].channels[0].secret",
            "`webhook-secret` is not an environment variable name",
            Some("use capitals, digits and `_`, e.g. `env:WEBHOOK_SECRET_ANA`"),
        ),
        (
            channel(json!({"kind": "webhook", "url": "env:WEBHOOK_URL_ANA"})),
            "reps[0].channels[0]",
            "a webhook channel needs a signing `secret`",
            Some(&unsigned_hint),
        ),
        (
            channel(
                json!({"kind": "slack", "url": "env:SLACK_URL_ANA", "secret": "env:SLACK_SECRET"}),
            ),
            "reps[0].channels[0].secret",
            "a Slack channel takes no `secret`",
            Some("remove it: Slack's incoming webhooks are not signed"),
        ),
        (
            channel(json!({"kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/XXXX"})),
            "reps[0].channels[0].url",
            "a Slack webhook URL is itself a credential: it must not be written in the playbook",
            Some(&slack_hint),
        ),
        (
            webhook("https://user:hunter2@crm.example/in"),
            "reps[0].channels[0].url",
            "this webhook URL carries credentials (`user:password@`)",
            Some(&url_hint),
        ),
        (
            webhook("https://crm.example/in?token=abc"),
            "reps[0].channels[0].url",
            "this webhook URL has a query string, where tokens hide",
            Some(&url_hint),
        ),
        (
            webhook("http://crm.example/in"),
            "reps[0].channels[0].url",
            "`http://` is only for `localhost`; `crm.example` needs `https://`",
            Some("leads are personal data: send them encrypted"),
        ),
        (
            webhook("crm.example/in"),
            "reps[0].channels[0].url",
            "a webhook `url` is `env:NAME` or an `https://` address",
            Some(&url_hint),
        ),
        (
            webhook("https:///in"),
            "reps[0].channels[0].url",
            "this webhook URL has no host",
            Some("write `https://host/path` or `env:NAME`"),
        ),
        (
            webhook("env:WEBHOOK URL"),
            "reps[0].channels[0].url",
            "`WEBHOOK URL` is not an environment variable name",
            Some("use capitals, digits and `_`, e.g. `env:WEBHOOK_URL_ANA`"),
        ),
        (
            channel(
                json!({"kind": "slack", "url": "env:SLACK_URL_ANA", "events": ["lead.qualifed"]}),
            ),
            "reps[0].channels[0].events[0]",
            "unknown event `lead.qualifed`",
            Some("did you mean `lead.qualified`?"),
        ),
        (
            channel(
                json!({"kind": "slack", "url": "env:SLACK_URL_ANA", "events": ["lead.created", "lead.created"]}),
            ),
            "reps[0].channels[0].events[1]",
            "event `lead.created` is listed twice",
            None,
        ),
        (
            with(
                "/reps/0/channels",
                json!([
                    {"kind": "slack", "url": "env:SLACK_URL_ANA"},
                    {"kind": "slack", "url": "env:SLACK_URL_ANA_2"}
                ]),
            ),
            "reps[0].channels[1]",
            "rep `ana` already has a channel `slack`",
            Some("give each channel of the same kind its own `id`"),
        ),
        (
            with(
                "/teams/0/channels",
                json!([{"kind": "slack", "id": "alerts", "url": "https://hooks.slack.com/services/T0/B0/XXXX"}]),
            ),
            "teams[0].channels[0].url",
            "a Slack webhook URL is itself a credential: it must not be written in the playbook",
            Some(&team_hint),
        ),
        (
            with(
                "/content",
                json!([{"id": "deck", "kind": "other", "title": "Deck", "when": {"field": "employes", "op": "at_least", "value": 5}}]),
            ),
            "content[0].when",
            "unknown field `employes`",
            Some("did you mean `employees`?"),
        ),
        (
            with(
                "/content",
                json!([
                    {"id": "deck", "kind": "other", "title": "Deck"},
                    {"id": "deck", "kind": "case_study", "title": "Story"}
                ]),
            ),
            "content[1].id",
            "duplicate id `deck`",
            None,
        ),
        (
            with(
                "/content",
                json!([{"id": "deck", "kind": "other", "title": " "}]),
            ),
            "content[0].title",
            "content needs a `title`",
            Some("the rep sees it first: say what it is, e.g. \"Case study: Contoso\""),
        ),
        (
            with(
                "/content",
                json!([{"id": "deck", "kind": "other", "title": "Deck", "url": "deck.pdf"}]),
            ),
            "content[0].url",
            "`deck.pdf` is not a web address",
            Some("start it with https://"),
        ),
        (
            with(
                "/ownership",
                json!({"accounts": [{"domain": "globex.com", "rep": "anna"}]}),
            ),
            "ownership.accounts[0].rep",
            "unknown rep `anna`",
            Some("did you mean `ana`?"),
        ),
        (
            with(
                "/ownership",
                json!({"accounts": [{"domain": "https://globex.com", "rep": "ana"}]}),
            ),
            "ownership.accounts[0].domain",
            "`https://globex.com` is not a domain",
            Some("write domains like `globex.com`"),
        ),
        (
            with(
                "/ownership",
                json!({"accounts": [
                    {"domain": "globex.com", "rep": "ana"},
                    {"domain": "GLOBEX.com", "rep": "ana"}
                ]}),
            ),
            "ownership.accounts[1].domain",
            "`globex.com` is already a named account",
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (doc, path, message, hint) in &cases {
        let got = match baton::parse_json(&doc.to_string()) {
            Ok(_) => vec![("(compiled)".to_owned(), String::new(), None)],
            Err(p) => listed(&p),
        };
        let want = owned(&[(path, message, *hint)]);
        if got != want {
            failures.push(format!("expected {want:?}\n     got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[cfg(feature = "email-lists")]
#[test]
fn a_free_mail_provider_is_no_named_account() {
    let doc = with(
        "/ownership",
        json!({"accounts": [{"domain": "gmail.com", "rep": "ana"}]}),
    );
    let p = baton::parse_json(&doc.to_string()).unwrap_err();
    assert_eq!(
        listed(&p),
        owned(&[(
            "ownership.accounts[0].domain",
            "`gmail.com` is a free-mail provider, no company",
            Some("every visitor with an address there would go to `ana`"),
        )])
    );
}

#[test]
fn every_channel_that_holds_a_credential_is_refused_at_once_without_echoing_it() {
    let doc = with(
        "/reps/0/channels",
        json!([
            {"kind": "webhook", "url": "https://u:hunter2@crm.example/in", "secret": "whsec_TOPSECRET"},
            {"kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/XXXX"}
        ]),
    );
    let p = baton::parse_json(&doc.to_string()).unwrap_err();
    let paths: Vec<&str> = p.0.iter().map(|x| x.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "reps[0].channels[0].url",
            "reps[0].channels[0].secret",
            "reps[0].channels[1].url"
        ]
    );
    let text = p.to_string();
    for secret in ["hunter2", "TOPSECRET", "XXXX"] {
        assert!(
            !text.contains(secret),
            "a problem repeats `{secret}`: {text}"
        );
    }
}

#[test]
fn channels_that_name_their_secrets_compile() {
    let doc = with(
        "/reps/0/channels",
        json!([
            {"kind": "webhook", "url": "env:WEBHOOK_URL_ANA", "secret": "env:WEBHOOK_SECRET_ANA"},
            {"kind": "webhook", "id": "crm", "url": "https://crm.example/in/ana", "secret": "env:WEBHOOK_SECRET_ANA_CRM"},
            {"kind": "webhook", "id": "local", "url": "http://localhost:8788/hook", "secret": "env:LOCAL"},
            {"kind": "webhook", "id": "local6", "url": "http://[::1]:8788/hook", "secret": "env:LOCAL"},
            {"kind": "slack", "url": "env:SLACK_URL_ANA", "events": ["lead.qualified", "delivery.failed"]}
        ]),
    );
    let pb = baton::parse_json(&doc.to_string()).unwrap();
    let ids: Vec<&str> = pb
        .rep("ana")
        .unwrap()
        .channels
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "rep:ana:webhook",
            "rep:ana:crm",
            "rep:ana:local",
            "rep:ana:local6",
            "rep:ana:slack"
        ]
    );
}

#[test]
fn a_key_that_moved_to_channels_says_where() {
    let doc = with("/reps/0/webhook_url", json!("https://crm.example/in"));
    let p = baton::parse_json(&doc.to_string()).unwrap_err();
    assert_eq!(
        listed(&p),
        owned(&[(
            "reps[0].webhook_url",
            "unknown key `webhook_url`",
            Some("webhooks are channels now: `channels = [{ kind = \"webhook\", url = \"env:WEBHOOK_URL_…\", secret = \"env:WEBHOOK_SECRET_…\" }]`"),
        )])
    );
    let doc = with(
        "/reps/0/channels",
        json!([{"kind": "slack", "url": "env:S", "secrt": "x"}]),
    );
    let p = baton::parse_json(&doc.to_string()).unwrap_err();
    assert_eq!(
        listed(&p),
        owned(&[(
            "reps[0].channels[0].secrt",
            "unknown key `secrt`",
            Some("did you mean `secret`?"),
        )])
    );
}
