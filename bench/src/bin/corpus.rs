//! `corpus`: prints `score` and `evaluate` of a deterministic corpus of awkward
//! submissions (mixed case, Unicode, full-width forms, wrong types, blanks,
//! missing answers, odd context) against the demo playbook, the peer playbook and
//! `bench/corpus-ops.toml` (every operator on every kind of answer).
//!
//! It exists to keep hot-path work honest: run it before and after a change to
//! the engine and compare the outputs byte for byte; they must be identical.
//! It checks nothing itself.
//!
//! `cargo run -p baton-bench --bin corpus > before.txt` (then again, and `cmp`).

use baton::SortedMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use baton::wire::{Context as LeadContext, Utm};
use baton::{Submission, Value};

/// Submissions per playbook.
const PER_PLAYBOOK: usize = 20_000;

fn main() -> Result<()> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for file in ["icp.toml", "bench/peer-rules.toml", "bench/corpus-ops.toml"] {
        let path = repo.join(file);
        let src = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let playbook =
            baton::parse_toml(&src).map_err(|p| anyhow::anyhow!("{file} has problems:\n{p}"))?;
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        writeln!(out, "# {file}")?;
        for _ in 0..PER_PLAYBOOK {
            let sub = submission(&mut rng, &playbook);
            let score = playbook.score(&sub);
            let decision = playbook.evaluate(&sub);
            writeln!(out, "{}", serde_json::to_string(&sub)?)?;
            writeln!(out, "{score:?}")?;
            writeln!(out, "{}", serde_json::to_string(&decision)?)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// xorshift64*: deterministic on every platform, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn t(s: impl AsRef<str>) -> Value {
    Value::Text(s.as_ref().to_owned())
}

const TEXTS: &[&str] = &[
    "",
    "   ",
    "Head of Sales",
    "HEAD OF SALES",
    " head-of-growth ",
    "Head Of Sales",
    "Headcount Planner",
    "VP, Sales/Marketing (EMEA)",
    "Vice  President",
    "vice president of sales",
    "ΣΑΣ",
    "σας",
    "Σ",
    "ΑΣ-Β",
    "ΟΔΟΣ ΣΑΣ",
    "straße",
    "STRASSE",
    "Straße Manager",
    "İstanbul",
    "i\u{307}stanbul",
    "İ",
    "ＶＰ Sales",
    "c.e.o",
    "C E O",
    "C.E.O. and Founder",
    "Student Ambassador",
    "intern",
    "INTERN",
    "Dž",
    "ǅ",
    "Co-Founder/CEO",
    "vp",
    "VP",
    "Vp",
    "cto",
    "CTO",
    "a",
    "F",
    "This title is long enough to pass forty chars",
    "héad of ops",
    "Head\u{a0}of Data",
    "head\tof\nops",
    "Lead Engineering",
    "Owner",
    "Chief of Staff",
    "\u{212a}elvin",
    "ﬁnance head",
    "abc",
    "XYZ",
    "Abc",
    "1000",
    "42",
    "Google",
    " google ",
    "cpc",
    "PPC",
    "Spring  Sale!",
    "spring-sale",
    "Q3 launch",
    "x",
    "X",
    "日本語 Head",
    "héad",
    "ΣΑΣ Director",
];

const EMAILS: &[&str] = &[
    "user0@web.de",
    "user1@GMAIL.COM",
    "user2@gmail.com",
    "Ana@Example.com",
    "ana@example.com",
    "ana@example.com.",
    "x@ｅｘａｍｐｌｅ．com",
    "x@ｅｘａｍｐｌｅ．org",
    "jörg@bücher.de",
    "JÖRG@BÜCHER.DE",
    "u@sub.bücher.de",
    "a@b",
    "a b@c.com",
    "@b.com",
    "a@1.2.3.4",
    "u@sub.example.com",
    "u@mailinator.com",
    "u@163.com",
    "\"a@b\"@c.com",
    "ΣΑΣ@ΣΑΣ.gr",
    "u@xn--bcher-kva.de",
    "u@tableau.com",
    "a..b@c.com",
    "user@@example.com",
    " spaced@example.com ",
    "U@EXAMPLE.ORG",
    "u@gmx.de",
    "u@a.de",
    "u@-a.de",
    "u@a-.de",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
    "u@EXAMPLE.COM.",
    "ü@example.com",
    "@",
    "",
];

fn numbers() -> Vec<Value> {
    vec![
        Value::Int(0),
        Value::Int(-5),
        Value::Int(-11),
        Value::Int(1),
        Value::Int(3),
        Value::Int(7),
        Value::Int(9),
        Value::Int(10),
        Value::Int(42),
        Value::Int(43),
        Value::Int(50),
        Value::Int(199),
        Value::Int(200),
        Value::Int(500),
        Value::Int(1000),
        Value::Int(5000),
        Value::Int(5001),
        Value::Int(50000),
        Value::Int(100_001),
        Value::Int(10_000_000),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::Float(12.0),
        Value::Float(12.5),
        Value::Float(-0.0),
        Value::Float(1e20),
        Value::Float(f64::NAN),
        t("1,000"),
        t("１２０"),
        t(" 42 "),
        t("-5"),
        t("+7"),
        t("1e3"),
        t("abc"),
        t(""),
        t("99999999999999999999"),
        t("1 000"),
        t("1'000"),
        t("1_000"),
        t("1\u{202f}000"),
        t("--5"),
        t("+"),
        Value::Bool(true),
        Value::List(vec![]),
        Value::Null,
    ]
}

fn selects() -> Vec<Value> {
    let mut v: Vec<Value> = [
        "DE",
        "de",
        " De ",
        "us",
        "US",
        "ωmega",
        "ΩMEGA",
        "Ωmega",
        "straße",
        "STRASSE",
        "Strasse",
        "STRASSE ",
        "FR",
        "software",
        "SaaS",
        "edtech",
        "government",
        "KP",
        "ch",
        "c-level",
        "C-Level",
        "vp",
        "owner",
        "now",
        "this-quarter",
        "This-Quarter",
        "no-plans",
        "unknown",
        "demo-request",
        "pricing-page",
        "blog",
        "Blog",
        "this-year",
        "researching",
        "other",
        "forecasting",
        "",
    ]
    .iter()
    .map(t)
    .collect();
    v.extend([
        Value::Int(1),
        Value::Bool(true),
        Value::List(vec![t("DE")]),
        Value::Null,
    ]);
    v
}

fn multis() -> Vec<Value> {
    vec![
        Value::List(vec![t("alpha"), t("BETA")]),
        Value::List(vec![]),
        t("beta"),
        t("Alpha"),
        Value::List(vec![t("σigma")]),
        Value::List(vec![t("ΣIGMA"), t("alpha"), t("Alpha")]),
        Value::List(vec![t("beta"), t("ΣIGMA")]),
        Value::List(vec![t("nope")]),
        Value::List(vec![Value::Int(1)]),
        Value::List(vec![Value::List(vec![])]),
        Value::List(vec![Value::Null, t(" beta ")]),
        Value::List(vec![t("forecasting"), t("dashboards")]),
        t("forecasting"),
        Value::Null,
        Value::Bool(false),
    ]
}

fn bools() -> Vec<Value> {
    vec![
        Value::Bool(true),
        Value::Bool(false),
        t("yes"),
        t("on"),
        t(" TRUE "),
        t("no"),
        t("maybe"),
        t(""),
        Value::Int(1),
        Value::Int(0),
        Value::Int(2),
        Value::Null,
        Value::Float(1.0),
    ]
}

const PHONES: &[&str] = &[
    "+49 30 1234567",
    "123",
    "+1 (555) 123-4567",
    "５５５１２３４５６７",
    "12+34567",
    "abc",
    "0301234567",
    "+12345678901234567",
    "",
    "030/123.456",
];

fn any_value(rng: &mut Rng) -> Value {
    if rng.chance(2) {
        // Over every length limit: 254 for an address, 500 by default for text.
        let long = if rng.chance(50) {
            format!("{}@example.com", "a".repeat(250))
        } else {
            "Head ".repeat(120)
        };
        return Value::Text(long);
    }
    match rng.below(7) {
        0 => t(rng.pick(TEXTS)),
        1 => t(rng.pick(EMAILS)),
        2 => rng.pick(&numbers()).clone(),
        3 => rng.pick(&selects()).clone(),
        4 => rng.pick(&multis()).clone(),
        5 => rng.pick(&bools()).clone(),
        _ => t(rng.pick(PHONES)),
    }
}

fn value_for(rng: &mut Rng, field: &baton::Field, clean: bool) -> Value {
    use baton::raw::FieldKind as K;
    if !clean && rng.chance(20) {
        return any_value(rng);
    }
    match field.kind {
        K::Text | K::Hidden => t(rng.pick(TEXTS)),
        K::Email if clean => t(rng.pick(EMAILS.get(..11).unwrap_or(EMAILS))),
        K::Email => t(rng.pick(EMAILS)),
        K::Phone => t(rng.pick(PHONES)),
        K::Number if clean => {
            Value::Int(*rng.pick(&[1, 3, 7, 9, 10, 42, 50, 200, 500, 5000, 5001, 50000, 100_000]))
        }
        K::Number => rng.pick(&numbers()).clone(),
        K::Select | K::Multiselect if clean && !field.options.is_empty() => {
            let mut o = rng.pick(&field.options).clone();
            match rng.below(4) {
                0 => o = o.to_uppercase(),
                1 => o = format!(" {o} "),
                _ => {}
            }
            if field.kind == K::Multiselect && rng.chance(70) {
                let other = rng.pick(&field.options).clone();
                Value::List(vec![t(&o), t(&other)])
            } else {
                t(&o)
            }
        }
        K::Select => rng.pick(&selects()).clone(),
        K::Multiselect => rng.pick(&multis()).clone(),
        K::Checkbox | K::Consent if clean => Value::Bool(rng.chance(70)),
        K::Checkbox | K::Consent => rng.pick(&bools()).clone(),
    }
}

fn opt(rng: &mut Rng, items: &[&str]) -> Option<String> {
    if rng.chance(40) {
        None
    } else {
        Some((*rng.pick(items)).to_owned())
    }
}

fn submission(rng: &mut Rng, playbook: &baton::Playbook) -> Submission {
    // Half the corpus answers every field with a value of its kind, so valid
    // leads reach grading and routing often; the other half is messier.
    let clean = rng.chance(50);
    let mut fields = SortedMap::new();
    for f in playbook.fields() {
        if !rng.chance(if clean { 2 } else { 12 }) {
            fields.insert(f.id.clone(), value_for(rng, f, clean));
        }
    }
    if rng.chance(10) {
        fields.insert("not_a_field".to_owned(), any_value(rng));
    }
    let utm_values = &[
        "Google",
        " google ",
        "CPC",
        "ppc ",
        "cpc",
        "Spring Sale!",
        "q3 launch",
        "x",
        "X",
        "",
        "  ",
        "ΣΑΣ",
    ];
    let referrers = &[
        "https://www.Google.com/search?q=x",
        "http://user:pw@BING.com:8080/x",
        "duckduckgo.com",
        "https://mail.yahoo.com",
        "https://gmail.com/",
        "",
        "://",
        "https://www.",
        "ftp://ｅｘａｍｐｌｅ．com/",
        "https://news.google.com.",
    ];
    let locales = &["de", "de-AT", "fr", "EN_gb", "", "DE", "en"];
    let pages = rng.below(7);
    Submission {
        locale: opt(rng, locales),
        fields,
        context: LeadContext {
            page_url: opt(rng, &["https://example.com/?gclid=abc"]),
            referrer: opt(rng, referrers),
            utm: Utm {
                source: opt(rng, utm_values),
                medium: opt(rng, utm_values),
                campaign: opt(rng, utm_values),
                term: opt(rng, utm_values),
                content: opt(rng, utm_values),
            },
            pages_seen: (0..pages).map(|i| format!("/p{i}")).collect(),
            content_seen: Vec::new(),
            time_on_page_ms: None,
            visitor_id: None,
            arm: None,
        },
    }
}
