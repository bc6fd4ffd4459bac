//! Parse, don't validate: a `RawPlaybook` becomes a `Playbook` in one call
//! that reports every problem at once, each with its path and a hint.

use serde_json::Value as Json;

use crate::channel::Holder;
use crate::condition::{Check, Cond, Fact, Subject, Test};
#[cfg(feature = "bulk")]
use crate::flat::Programs;
use crate::lead::OptionFold;
use crate::map::SortedMap;
use crate::playbook::{Field, Grade, Playbook, Rep, Route, Rule, Target, Team};
use crate::problem::{Problem, Problems, Report};
use crate::raw::{FieldKind, Op, RawCondition, RawPlaybook};
use crate::text::{lower, normalize_domain, words};

/// Default longest text answer, so nobody stores a novel in a name field.
const DEFAULT_MAX_LENGTH: u32 = 500;
const HIDDEN_MAX_LENGTH: u32 = 2000;
/// Ids are stored in 16-bit indexes: more than this is no playbook a person wrote.
const MAX_ITEMS: usize = 4096;
/// Without the `diagnostics` feature (the widget's build) the checks that only
/// report mistakes are left out: the widget compiles public copies the edge
/// compiled with every check, and each message is bytes on landing pages.
/// Checks that resolve what evaluation needs (ids to indexes, values to
/// operands) always run, so a playbook either compiles to the same `Playbook`
/// or fails, with or without the feature.
pub(crate) const DIAGNOSTICS: bool = cfg!(feature = "diagnostics");

/// Compiles a playbook written by people (computes its version hash).
pub fn compile(mut raw: RawPlaybook) -> Result<Playbook, Problems> {
    if raw.published.is_some() {
        // A public copy keeps the version of the playbook it was cut from.
        return compile_published(raw);
    }
    raw.published = None;
    let version = crate::version::hash(&raw);
    build(raw, version, false)
}

/// Compiles the public copy the edge serves to browsers; trusts its version.
pub fn compile_published(raw: RawPlaybook) -> Result<Playbook, Problems> {
    let Some(p) = raw.published.clone() else {
        return Err(Problems(vec![Problem {
            path: "published".into(),
            message: "this is not a published playbook".into(),
            hint: Some("fetch it from the edge's /v1/forms/{id}".into()),
        }]));
    };
    build(raw, p.version, p.edge_rules_removed > 0)
}

/// Parses a playbook from JSON and compiles it.
pub fn parse_json(src: &str) -> Result<Playbook, Problems> {
    let raw = crate::keys::parse_json(src)?;
    compile(raw)
}

/// Parses `icp.toml` and compiles it.
#[cfg(feature = "toml")]
pub fn parse_toml(src: &str) -> Result<Playbook, Problems> {
    let raw = crate::keys::parse_toml(src)?;
    compile(raw)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Text,
    Email,
    Domain,
    Number,
    Bool,
    List,
}

impl Ty {
    fn of(kind: FieldKind) -> Ty {
        match kind {
            FieldKind::Text | FieldKind::Phone | FieldKind::Hidden | FieldKind::Select => Ty::Text,
            FieldKind::Email => Ty::Email,
            FieldKind::Number => Ty::Number,
            FieldKind::Checkbox | FieldKind::Consent => Ty::Bool,
            FieldKind::Multiselect => Ty::List,
        }
    }

    fn of_fact(f: Fact) -> Ty {
        match f {
            Fact::EmailDomain | Fact::ReferrerDomain => Ty::Domain,
            Fact::PagesSeen | Fact::Score => Ty::Number,
            Fact::Qualified => Ty::Bool,
            _ => Ty::Text,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Email => "email",
            Ty::Domain => "domain",
            Ty::Number => "number",
            Ty::Bool => "yes/no",
            Ty::List => "multiple-choice",
        }
    }
}

/// What a condition may test: rules know the answers, routes and content
/// also the verdict (`in_route`).
pub(crate) struct Ctx<'a> {
    fields: &'a [Field],
    grades: &'a [String],
    in_route: bool,
    has_email: bool,
}

/// The most a team's weights may add up to (see `edge/src/turns.rs`).
pub const MAX_TEAM_SHARES: u32 = 1000;

pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(crate) fn check_ids<'a>(r: &mut Report, what: &str, ids: impl Iterator<Item = &'a str>) {
    if !DIAGNOSTICS {
        return;
    }
    // The widget's maps double as sets: one map type links less code than two.
    let mut seen = SortedMap::new();
    for (i, id) in ids.enumerate() {
        let path = format!("{what}[{i}].id");
        if !valid_id(id) {
            r.hint(
                &path,
                format!("`{id}` is not a usable id"),
                "use 1 to 64 letters, digits, `-`, `_` or `.`",
            );
        } else if seen.insert(id.to_owned(), ()).is_some() {
            r.add(&path, format!("duplicate id `{id}`"));
        }
    }
}

pub(crate) fn check_url(r: &mut Report, path: String, url: Option<&String>) {
    if !DIAGNOSTICS {
        return;
    }
    if let Some(u) = url {
        let rest = u
            .strip_prefix("https://")
            .or_else(|| u.strip_prefix("http://"));
        if rest.is_none_or(|h| h.is_empty() || h.starts_with('/')) {
            r.hint(
                path,
                format!("`{u}` is not a web address"),
                "start it with https://",
            );
        }
    }
}

fn build(raw: RawPlaybook, version: String, provisional: bool) -> Result<Playbook, Problems> {
    let mut r = Report::default();

    if DIAGNOSTICS && !valid_id(&raw.id) {
        r.hint(
            "id",
            format!("`{}` is not a usable form id", raw.id),
            "use 1 to 64 letters, digits, `-`, `_` or `.`; it appears in embed tags and URLs",
        );
    }
    for (i, o) in raw.allowed_origins.iter().enumerate() {
        check_origin(&mut r, i, o);
    }
    if DIAGNOSTICS {
        for loc in raw.text.keys() {
            if !(2..=8).contains(&loc.len())
                || !loc.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
            {
                r.add(
                    format!("text.{loc}"),
                    format!("`{loc}` is not a locale code like `en` or `de`"),
                );
            }
        }
    }
    for (what, n) in [
        ("fields", raw.fields.len()),
        ("rules", raw.rules.len()),
        ("reps", raw.reps.len()),
        ("teams", raw.teams.len()),
        ("routes", raw.routes.len()),
        ("content", raw.content.len()),
        ("ownership.accounts", raw.ownership.accounts.len()),
    ] {
        if n > MAX_ITEMS {
            r.add(
                what,
                format!("{n} entries is more than the {MAX_ITEMS} a playbook may have"),
            );
        }
    }

    // Fields.
    check_ids(&mut r, "fields", raw.fields.iter().map(|f| f.id.as_str()));
    if DIAGNOSTICS && raw.fields.is_empty() {
        r.add("fields", "a form needs at least one field");
    }
    let mut fields = Vec::with_capacity(raw.fields.len());
    for (i, f) in raw.fields.iter().enumerate() {
        let p = format!("fields[{i}]");
        if DIAGNOSTICS {
            if f.id == crate::wire::HONEYPOT {
                r.add(
                    format!("{p}.id"),
                    format!(
                        "`{}` is the name of the form's bot trap (an input hidden from people); give this field another id",
                        f.id
                    ),
                );
            }
            let choice = matches!(f.kind, FieldKind::Select | FieldKind::Multiselect);
            if choice && f.options.is_empty() {
                r.hint(
                    &p,
                    format!("{} field `{}` has no options", f.kind.as_str(), f.id),
                    "add `options = [{ value = \"…\", label = \"…\" }]`",
                );
            }
            if !choice && !f.options.is_empty() {
                r.hint(
                    format!("{p}.options"),
                    format!(
                        "only select and multiselect fields have options, `{}` is {}",
                        f.id,
                        f.kind.as_str()
                    ),
                    "set `kind = \"select\"` or remove the options",
                );
            }
            let mut seen = SortedMap::new();
            for (j, o) in f.options.iter().enumerate() {
                if o.value.trim().is_empty() {
                    r.add(
                        format!("{p}.options[{j}].value"),
                        "an option value cannot be empty",
                    );
                } else if seen.insert(lower(&o.value), ()).is_some() {
                    r.add(
                        format!("{p}.options[{j}].value"),
                        format!("duplicate option `{}`", o.value),
                    );
                }
            }
            if f.kind != FieldKind::Number && (f.min.is_some() || f.max.is_some()) {
                r.hint(
                    &p,
                    format!(
                        "`min`/`max` apply to number fields, `{}` is {}",
                        f.id,
                        f.kind.as_str()
                    ),
                    "use `max_length` to limit text",
                );
            }
            if let (Some(lo), Some(hi)) = (f.min, f.max) {
                if lo > hi {
                    r.add(
                        &p,
                        format!("min {lo} is greater than max {hi}: no answer could pass"),
                    );
                }
            }
            let texty = matches!(
                f.kind,
                FieldKind::Text | FieldKind::Email | FieldKind::Phone | FieldKind::Hidden
            );
            if f.max_length.is_some() && !texty {
                r.add(
                    format!("{p}.max_length"),
                    format!(
                        "`max_length` applies to text fields, `{}` is {}",
                        f.id,
                        f.kind.as_str()
                    ),
                );
            }
            if f.max_length == Some(0) {
                r.add(
                    format!("{p}.max_length"),
                    "a max_length of 0 accepts no answer",
                );
            }
            if f.param.is_some() && f.kind != FieldKind::Hidden {
                r.add(
                    format!("{p}.param"),
                    "`param` fills hidden fields from the page URL; this field is not hidden",
                );
            }
            if f.kind == FieldKind::Hidden && f.required {
                r.hint(
                    format!("{p}.required"),
                    "a hidden field cannot be required",
                    "visitors cannot fill it in, so the form could never be sent",
                );
            }
        }
        let options: Vec<String> = f.options.iter().map(|o| o.value.clone()).collect();
        fields.push(Field {
            id: f.id.clone(),
            kind: f.kind,
            required: f.required,
            label: f.label.clone(),
            option_folds: options.iter().map(|o| OptionFold::of(o)).collect(),
            #[cfg(feature = "bulk")]
            option_slots: crate::fields::option_slots(&options),
            options,
            min: f.min,
            max: f.max,
            max_length: f.max_length.unwrap_or(if f.kind == FieldKind::Hidden {
                HIDDEN_MAX_LENGTH
            } else {
                DEFAULT_MAX_LENGTH
            }),
        });
    }
    let email_field = raw
        .fields
        .iter()
        .position(|f| f.kind == FieldKind::Email)
        .and_then(|i| u16::try_from(i).ok());

    // Steps.
    check_ids(&mut r, "steps", raw.steps.iter().map(|s| s.id.as_str()));
    if DIAGNOSTICS {
        let mut in_step: SortedMap<usize> = SortedMap::new();
        for (i, s) in raw.steps.iter().enumerate() {
            if s.fields.is_empty() {
                r.add(
                    format!("steps[{i}].fields"),
                    "a step needs at least one field",
                );
            }
            for (j, fid) in s.fields.iter().enumerate() {
                let p = format!("steps[{i}].fields[{j}]");
                if !raw.fields.iter().any(|f| &f.id == fid) {
                    r.unknown(
                        p,
                        format!("unknown field `{fid}`"),
                        fid,
                        raw.fields.iter().map(|f| f.id.as_str()),
                    );
                } else if let Some(prev) = in_step.insert(fid.clone(), i) {
                    r.add(p, format!("field `{fid}` is already in steps[{prev}]"));
                }
            }
        }
        if !raw.steps.is_empty() {
            for (i, f) in raw.fields.iter().enumerate() {
                if f.kind != FieldKind::Hidden && !in_step.contains_key(&f.id) {
                    r.hint(
                        format!("fields[{i}]"),
                        format!("field `{}` is in no step", f.id),
                        "add it to a step's `fields`, or visitors never see it",
                    );
                }
            }
        }
    }

    // Grades.
    check_ids(
        &mut r,
        "grades",
        raw.grades.iter().map(|g| g.grade.as_str()),
    );
    let grade_names: Vec<String> = raw.grades.iter().map(|g| g.grade.clone()).collect();
    let mut grades = Vec::with_capacity(raw.grades.len());
    if DIAGNOSTICS && raw.grades.is_empty() {
        r.hint("grades", "no grades", "add e.g. `[[grades]] grade = \"A\" min_score = 80 qualified = true` and a last grade without min_score");
    }
    let last = raw.grades.len().saturating_sub(1);
    let mut prev: Option<(i32, &str)> = None;
    for (i, g) in raw.grades.iter().enumerate() {
        let p = format!("grades[{i}]");
        if DIAGNOSTICS {
            match (g.min_score, i == last) {
                (Some(_), true) => r.hint(
                    format!("{p}.min_score"),
                    format!(
                        "the last grade `{}` must take every remaining score",
                        g.grade
                    ),
                    "remove its min_score",
                ),
                (None, false) => r.hint(
                    &p,
                    format!(
                        "grade `{}` has no min_score but is not the last grade",
                        g.grade
                    ),
                    "grades go from the highest min_score down; only the last has none",
                ),
                _ => {}
            }
        }
        if DIAGNOSTICS {
            if let Some(m) = g.min_score {
                if let Some((pm, pg)) = prev {
                    if m >= pm {
                        r.hint(format!("{p}.min_score"), format!("grade `{}` (min_score {m}) is out of order after `{pg}` (min_score {pm})", g.grade), "list grades from the highest min_score down, each strictly lower");
                    }
                }
                prev = Some((m, &g.grade));
            }
        }
        grades.push(Grade {
            grade: g.grade.clone(),
            min_score: g.min_score.map_or(i64::MIN, i64::from),
            qualified: g.qualified,
        });
    }
    if DIAGNOSTICS && !raw.grades.is_empty() && !raw.grades.iter().any(|g| g.qualified) {
        r.hint(
            "grades",
            "no grade is qualified: no lead could ever become an MQL",
            "set `qualified = true` on the top grades",
        );
    }

    // Rules.
    check_ids(&mut r, "rules", raw.rules.iter().map(|x| x.id.as_str()));
    let ctx = Ctx {
        fields: &fields,
        grades: &grade_names,
        in_route: false,
        has_email: email_field.is_some(),
    };
    let mut rules = Vec::with_capacity(raw.rules.len());
    let (mut up, mut down) = (0i64, 0i64);
    for (i, rule) in raw.rules.iter().enumerate() {
        let p = format!("rules[{i}]");
        if rule.points > 0 {
            up += i64::from(rule.points);
        } else {
            down += i64::from(rule.points);
        }
        if let Some(when) = cond(&mut r, &format!("{p}.when"), &rule.when, &ctx) {
            rules.push(Rule {
                id: rule.id.clone(),
                description: rule.description.clone(),
                points: rule.points,
                knockout: rule.knockout,
                when,
            });
        }
    }
    if up > i64::from(i32::MAX) || down < i64::from(i32::MIN) {
        r.hint(
            "rules",
            format!("points can add up to {up} or down to {down}, beyond what a score holds"),
            "keep the total of positive and of negative points within ±2147483647",
        );
    }

    // Reps and teams.
    check_ids(&mut r, "reps", raw.reps.iter().map(|x| x.id.as_str()));
    let mut reps = Vec::with_capacity(raw.reps.len());
    for (i, rep) in raw.reps.iter().enumerate() {
        let p = format!("reps[{i}]");
        if DIAGNOSTICS {
            check_url(&mut r, format!("{p}.booking_url"), rep.booking_url.as_ref());
            if let Some(e) = &rep.email {
                if crate::email::domain(e).is_none() {
                    r.add(
                        format!("{p}.email"),
                        format!("`{e}` is not an email address"),
                    );
                }
            }
            if rep.weight == 0 {
                r.hint(
                    format!("{p}.weight"),
                    "a weight of 0 never gets a lead",
                    "set `active = false` to pause a rep",
                );
            }
        }
        reps.push(Rep {
            id: rep.id.clone(),
            name: rep.name.clone(),
            email: rep.email.clone(),
            channels: crate::channel::compile(&mut r, &p, Holder::Rep, &rep.id, &rep.channels),
            booking_url: rep.booking_url.clone(),
            weight: rep.weight,
            active: rep.active,
        });
    }
    let rep_index = |id: &str| {
        raw.reps
            .iter()
            .position(|x| x.id == id)
            .and_then(|i| u16::try_from(i).ok())
    };
    check_ids(&mut r, "teams", raw.teams.iter().map(|x| x.id.as_str()));
    let mut teams = Vec::with_capacity(raw.teams.len());
    for (i, t) in raw.teams.iter().enumerate() {
        let p = format!("teams[{i}]");
        let mut members = Vec::new();
        for (j, rid) in t.reps.iter().enumerate() {
            match rep_index(rid) {
                Some(k) if members.contains(&k) => r.add(
                    format!("{p}.reps[{j}]"),
                    format!("rep `{rid}` is listed twice"),
                ),
                Some(k) => members.push(k),
                None => r.unknown(
                    format!("{p}.reps[{j}]"),
                    format!("unknown rep `{rid}`"),
                    rid,
                    raw.reps.iter().map(|x| x.id.as_str()),
                ),
            }
        }
        let active = members.iter().any(|&k| {
            reps.get(usize::from(k))
                .is_some_and(|x| x.active && x.weight > 0)
        });
        // The edge hands turns out from a table of one slot per share
        // (`edge/src/turns.rs`): keep it a size a request can carry.
        let shares: u64 = members
            .iter()
            .filter_map(|&k| reps.get(usize::from(k)))
            .map(|x| u64::from(x.weight))
            .sum();
        if DIAGNOSTICS && shares > u64::from(MAX_TEAM_SHARES) {
            r.hint(
                format!("{p}.reps"),
                format!(
                    "team `{}`'s weights add up to {shares}, more than {MAX_TEAM_SHARES}",
                    t.id
                ),
                "weights are shares (2 and 1 split leads 2:1): use smaller numbers",
            );
        }
        if DIAGNOSTICS && t.reps.is_empty() {
            r.add(&p, format!("team `{}` has no reps", t.id));
        } else if DIAGNOSTICS && !active && !provisional {
            r.hint(
                &p,
                format!("team `{}` has no active rep", t.id),
                "leads routed here would reach nobody",
            );
        }
        teams.push(Team {
            id: t.id.clone(),
            name: t.name.clone(),
            reps: members,
            channels: crate::channel::compile(&mut r, &p, Holder::Team, &t.id, &t.channels),
        });
    }

    // Routes.
    check_ids(&mut r, "routes", raw.routes.iter().map(|x| x.id.as_str()));
    let route_ctx = Ctx {
        in_route: true,
        ..ctx
    };
    let mut routes = Vec::with_capacity(raw.routes.len());
    let mut catch_all: Option<&str> = None;
    for (i, route) in raw.routes.iter().enumerate() {
        let p = format!("routes[{i}]");
        if let (true, Some(prev)) = (DIAGNOSTICS, catch_all) {
            r.hint(
                &p,
                format!("route `{}` can never match", route.id),
                format!("route `{prev}` before it matches every lead; move the catch-all last"),
            );
        }
        let target = match (&route.team, &route.rep) {
            (Some(t), None) => match raw
                .teams
                .iter()
                .position(|x| &x.id == t)
                .and_then(|k| u16::try_from(k).ok())
            {
                Some(k) => Some(Target::Team(k)),
                None => {
                    r.unknown(
                        format!("{p}.team"),
                        format!("unknown team `{t}`"),
                        t,
                        raw.teams.iter().map(|x| x.id.as_str()),
                    );
                    None
                }
            },
            (None, Some(rep)) => match rep_index(rep) {
                Some(k) => Some(Target::Rep(k)),
                None => {
                    r.unknown(
                        format!("{p}.rep"),
                        format!("unknown rep `{rep}`"),
                        rep,
                        raw.reps.iter().map(|x| x.id.as_str()),
                    );
                    None
                }
            },
            (Some(_), Some(_)) => {
                r.add(&p, "a route goes to a `team` or a `rep`, not both");
                None
            }
            (None, None) => {
                r.hint(
                    &p,
                    format!("route `{}` goes nowhere", route.id),
                    "set `team = \"…\"` or `rep = \"…\"`",
                );
                None
            }
        };
        let when = match &route.when {
            None => {
                catch_all.get_or_insert(&route.id);
                None
            }
            Some(w) => cond(&mut r, &format!("{p}.when"), w, &route_ctx),
        };
        if let Some(target) = target {
            routes.push(Route {
                id: route.id.clone(),
                when,
                target,
            });
        }
    }
    if DIAGNOSTICS && raw.routes.last().is_none_or(|x| x.when.is_some()) {
        r.hint("routes", "no fallback route: leads that match no route would be dropped", "end with a route without `when`, e.g. `[[routes]] id = \"fallback\" team = \"inbound\"`");
    }

    // SLA.
    if DIAGNOSTICS {
        for g in raw.sla.minutes.keys() {
            if !grade_names.iter().any(|n| n == g) {
                r.unknown(
                    format!("sla.minutes.{g}"),
                    format!("unknown grade `{g}`"),
                    g,
                    grade_names.iter().map(String::as_str),
                );
            }
        }
        if let Some(e) = &raw.sla.escalate_to {
            if rep_index(e).is_none() && !provisional {
                r.unknown(
                    "sla.escalate_to",
                    format!("unknown rep `{e}`"),
                    e,
                    raw.reps.iter().map(|x| x.id.as_str()),
                );
            }
        }
    }

    if DIAGNOSTICS {
        crate::outcome::check(&mut r, &raw.outcomes);
        if let Some(e) = &raw.experiment {
            crate::experiment::check(&mut r, e, &raw.id);
        }
        if let Some(d) = raw.privacy.retain_days {
            if !(1..=3650).contains(&d) {
                r.add(
                    "privacy.retain_days",
                    format!("leads are kept 1 to 3,650 days (ten years), not {d}"),
                );
            }
        }
    }
    let content = crate::content::compile(&mut r, &raw.content, &route_ctx);
    let ownership = crate::owner::compile(&mut r, &raw.ownership, &raw.reps);
    if !r.problems.is_empty() {
        return Err(Problems(r.problems));
    }
    // A public copy has no channels by design: nothing to warn about.
    let warnings = if raw.published.is_none() {
        crate::channel::warnings(&reps, &teams, &routes, raw.sla.escalate_to.as_deref())
    } else {
        Vec::new()
    };
    let fields_by_id = crate::fields::by_id(&fields);
    #[cfg(feature = "bulk")]
    let complete = crate::fields::complete(&fields);
    let conds = rules
        .iter()
        .map(|r| &r.when)
        .chain(routes.iter().filter_map(|r| r.when.as_ref()))
        .chain(content.iter().filter_map(|c| c.when.as_ref()));
    let facts = conds.fold(0, |m, c| m | c.facts());
    #[cfg(feature = "bulk")]
    let programs = Programs::new(rules.iter().map(|r| (&r.when, r.points, r.knockout)));
    #[cfg(feature = "bulk")]
    let direct = crate::direct::Direct::new(&programs, &fields, &fields_by_id, email_field);
    Ok(Playbook {
        sla_minutes: raw.sla.minutes.clone(),
        escalate_to: raw.sla.escalate_to.clone(),
        content,
        ownership,
        warnings,
        raw,
        version,
        provisional,
        fields,
        #[cfg(feature = "bulk")]
        programs,
        #[cfg(feature = "bulk")]
        direct,
        rules,
        grades,
        reps,
        teams,
        routes,
        email_field,
        #[cfg(feature = "bulk")]
        complete,
        fields_by_id,
        facts,
    })
}

fn check_origin(r: &mut Report, i: usize, o: &str) {
    if !DIAGNOSTICS {
        return;
    }
    let p = format!("allowed_origins[{i}]");
    if o == "*" {
        return;
    }
    let Some((scheme, host)) = o.split_once("://") else {
        r.hint(
            p,
            format!("`{o}` is not an origin"),
            "write it like `https://www.example.com`",
        );
        return;
    };
    if scheme != "https" && scheme != "http" {
        r.hint(
            p,
            format!("`{o}` is not a web origin"),
            "use https:// (or http:// for local testing)",
        );
    } else if host.is_empty() || host.contains('/') {
        r.hint(
            p,
            format!("`{o}` has a path; an origin is scheme, host and port only"),
            format!(
                "write `{scheme}://{}`",
                host.split('/').next().unwrap_or("")
            ),
        );
    }
}

/// Compiles one condition tree; `None` when it has problems (all reported).
pub(crate) fn cond(r: &mut Report, path: &str, c: &RawCondition, ctx: &Ctx) -> Option<Cond> {
    let composite = [c.all.is_some(), c.any.is_some(), c.not.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    let leaf = c.field.is_some() || c.fact.is_some() || c.op.is_some() || c.value.is_some();
    if composite + usize::from(leaf) != 1 {
        r.hint(
            path,
            if composite + usize::from(leaf) == 0 {
                "empty condition"
            } else {
                "a condition has exactly one of `all`, `any`, `not`, or a test (`field`/`fact` with `op`)"
            },
            "write e.g. `{ field = \"employees\", op = \"at_least\", value = 50 }` or `{ all = [ … ] }`",
        );
        return None;
    }
    let list = |r: &mut Report, key: &str, cs: &[RawCondition]| -> Option<Vec<Cond>> {
        if cs.is_empty() {
            r.add(
                format!("{path}.{key}"),
                format!("`{key}` needs at least one condition"),
            );
            return None;
        }
        let out: Vec<Option<Cond>> = cs
            .iter()
            .enumerate()
            .map(|(i, c)| cond(r, &format!("{path}.{key}[{i}]"), c, ctx))
            .collect();
        out.into_iter().collect()
    };
    if let Some(cs) = &c.all {
        return list(r, "all", cs).map(Cond::All);
    }
    if let Some(cs) = &c.any {
        return list(r, "any", cs).map(Cond::Any);
    }
    if let Some(inner) = &c.not {
        return cond(r, &format!("{path}.not"), inner, ctx).map(|c| Cond::Not(Box::new(c)));
    }
    leaf_test(r, path, c, ctx).map(Cond::Test)
}

fn leaf_test(r: &mut Report, path: &str, c: &RawCondition, ctx: &Ctx) -> Option<Test> {
    let (subject, ty, select_options) = match (&c.field, &c.fact) {
        (Some(_), Some(_)) => {
            r.add(path, "a test looks at a `field` or a `fact`, not both");
            return None;
        }
        (None, None) => {
            r.hint(
                path,
                "a test needs a `field` or a `fact`",
                "e.g. `field = \"employees\"`",
            );
            return None;
        }
        (Some(f), None) => {
            let Some(i) = ctx.fields.iter().position(|x| &x.id == f) else {
                let facts = Fact::ALL.iter().map(|(n, _)| *n);
                if facts.clone().any(|n| n == f) {
                    r.hint(
                        path,
                        format!("unknown field `{f}`"),
                        format!("`{f}` is a derived fact: write `fact = \"{f}\"`"),
                    );
                } else {
                    r.unknown(
                        path,
                        format!("unknown field `{f}`"),
                        f,
                        ctx.fields.iter().map(|x| x.id.as_str()),
                    );
                }
                return None;
            };
            let field = ctx.fields.get(i)?;
            let opts = matches!(field.kind, FieldKind::Select | FieldKind::Multiselect)
                .then_some(field.options.as_slice());
            (
                Subject::Field(u16::try_from(i).ok()?),
                Ty::of(field.kind),
                opts,
            )
        }
        (None, Some(name)) => {
            let Some((_, fact)) = Fact::ALL.iter().find(|(n, _)| n == name) else {
                let names = Fact::ALL
                    .iter()
                    .filter(|(_, f)| ctx.in_route || !f.route_only())
                    .map(|(n, _)| *n);
                r.unknown(path, format!("unknown fact `{name}`"), name, names);
                return None;
            };
            if fact.route_only() && !ctx.in_route {
                r.hint(
                    path,
                    format!("`{name}` is only known after scoring"),
                    "use it in routes, not in rules",
                );
                return None;
            }
            if *fact == Fact::EmailDomain && !ctx.has_email {
                r.hint(
                    path,
                    "`email_domain` needs an email field",
                    "add a field with `kind = \"email\"`",
                );
                return None;
            }
            (Subject::Fact(*fact), Ty::of_fact(*fact), None)
        }
    };
    let Some(op) = c.op else {
        r.hint(
            path,
            "a test needs an `op`",
            "e.g. `op = \"equals\"`, `\"in\"`, `\"at_least\"`, `\"contains_word\"`",
        );
        return None;
    };
    let vpath = format!("{path}.value");
    let what = c.field.as_deref().or(c.fact.as_deref()).unwrap_or("");
    let misfit = |r: &mut Report, hint: &str| {
        r.hint(
            path,
            format!("`{}` does not fit {} {what}", op.as_str(), ty.name()),
            hint.to_owned(),
        );
    };
    let no_value = |r: &mut Report| {
        if c.value.is_some() {
            r.add(&vpath, format!("`{}` takes no value", op.as_str()));
            false
        } else {
            true
        }
    };
    let check = match op {
        Op::Present | Op::Absent => no_value(r).then_some(Check::None)?,
        Op::FreeEmail | Op::DisposableEmail | Op::BusinessEmail => {
            if !matches!(ty, Ty::Email | Ty::Domain) {
                misfit(r, "use it on an email field or `fact = \"email_domain\"`");
                return None;
            }
            no_value(r).then_some(Check::None)?
        }
        Op::Equals | Op::NotEquals => match ty {
            Ty::Number => Check::Int(int(r, &vpath, c.value.as_ref())?),
            Ty::Bool => match c.value {
                Some(Json::Bool(b)) => Check::Bool(b),
                _ => {
                    r.add(&vpath, "expected `true` or `false`");
                    return None;
                }
            },
            _ => {
                let s = text(r, &vpath, c.value.as_ref())?;
                known_values(r, &vpath, std::slice::from_ref(&s), select_options, ctx, c);
                Check::Text(lower(&s))
            }
        },
        Op::In | Op::NotIn => match ty {
            Ty::Number => {
                let mut v = ints(r, &vpath, c.value.as_ref())?;
                sort_dedup(&mut v);
                Check::Ints(v)
            }
            Ty::Bool => {
                misfit(r, "use `equals` with `true` or `false`");
                return None;
            }
            _ => {
                let v = texts(r, &vpath, c.value.as_ref())?;
                known_values(r, &vpath, &v, select_options, ctx, c);
                let mut v: Vec<String> = v.iter().map(|s| lower(s)).collect();
                if matches!(ty, Ty::Domain | Ty::Email) {
                    v = v.iter().map(|d| normalize_domain(d)).collect();
                }
                sort_dedup(&mut v);
                Check::Texts(v)
            }
        },
        Op::Between => {
            if ty != Ty::Number {
                misfit(r, "use `between` on number fields");
                return None;
            }
            let v = ints(r, &vpath, c.value.as_ref())?;
            match v.as_slice() {
                [lo, hi] if lo <= hi => Check::Range(*lo, *hi),
                [lo, hi] => {
                    r.hint(
                        &vpath,
                        format!("between {lo} and {hi} can never hold"),
                        format!("write `[{hi}, {lo}]`"),
                    );
                    return None;
                }
                _ => {
                    r.hint(
                        &vpath,
                        "`between` takes two numbers",
                        "write `value = [50, 5000]` (both ends included)",
                    );
                    return None;
                }
            }
        }
        Op::AtLeast | Op::AtMost | Op::GreaterThan | Op::LessThan => {
            if ty != Ty::Number {
                misfit(r, "compare numbers only; use `equals` or `in` for text");
                return None;
            }
            Check::Int(int(r, &vpath, c.value.as_ref())?)
        }
        Op::ContainsWord => {
            if ty != Ty::Text {
                misfit(r, "use `contains_word` on text fields");
                return None;
            }
            let v = texts(r, &vpath, c.value.as_ref())?;
            let mut phrases = Vec::with_capacity(v.len());
            for s in &v {
                let l = lower(s);
                let w: Vec<String> = words(&l).map(str::to_owned).collect();
                if w.is_empty() {
                    r.add(&vpath, format!("`{s}` has no letters or digits to match"));
                    return None;
                }
                phrases.push(w);
            }
            Check::Words(phrases)
        }
        Op::DomainMatches => {
            if !matches!(ty, Ty::Email | Ty::Domain) {
                misfit(r, "use `domain_matches` on an email field or a domain fact");
                return None;
            }
            let v = texts(r, &vpath, c.value.as_ref())?;
            let mut ds: Vec<String> = v.iter().map(|d| normalize_domain(d)).collect();
            if let Some(bad) = ds
                .iter()
                .find(|d| d.is_empty() || d.contains('@') || d.contains(' '))
            {
                r.hint(
                    &vpath,
                    format!("`{bad}` is not a domain"),
                    "write domains like `example.com`",
                );
                return None;
            }
            sort_dedup(&mut ds);
            Check::Domains(ds)
        }
    };
    Some(Test::new(subject, op, check, ctx.fields))
}

/// Sorts `v` and drops repeats. A heapsort: each type it is used with adds a
/// few hundred bytes to the widget's wasm where `sort_unstable` adds several
/// KB, and it stays O(n log n) for the edge. Equal items are identical here
/// (texts, integers), so the result is the one any sort gives.
fn sort_dedup<T: Ord>(v: &mut Vec<T>) {
    fn sift_down<T: Ord>(v: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v.get(child) < v.get(child + 1) {
                child += 1;
            }
            if v.get(root) >= v.get(child) {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift_down(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
    v.dedup();
}

/// Flags values a select field or the grade fact can never take.
fn known_values(
    r: &mut Report,
    path: &str,
    vals: &[String],
    options: Option<&[String]>,
    ctx: &Ctx,
    c: &RawCondition,
) {
    if !DIAGNOSTICS {
        return;
    }
    let known: Option<Vec<&str>> = match (options, c.fact.as_deref()) {
        (Some(o), _) => Some(o.iter().map(String::as_str).collect()),
        (None, Some("grade")) => Some(ctx.grades.iter().map(String::as_str).collect()),
        _ => None,
    };
    if let Some(known) = known {
        for v in vals {
            if !known
                .iter()
                .any(|k| k.eq_ignore_ascii_case(v) || lower(k) == lower(v))
            {
                r.unknown(
                    path,
                    format!("`{v}` is not one of the choices, so this test never holds"),
                    v,
                    known.iter().copied(),
                );
            }
        }
    }
}

fn int(r: &mut Report, path: &str, v: Option<&Json>) -> Option<i64> {
    match v {
        Some(Json::Number(n)) => match n.as_i64() {
            Some(i) => Some(i),
            None => {
                let m = if DIAGNOSTICS {
                    format!("{n} is not a whole number")
                } else {
                    "not a whole number".to_owned()
                };
                r.hint(path, m, "scores and comparisons use whole numbers only");
                None
            }
        },
        Some(other) => {
            r.add(path, found("expected a whole number", other));
            None
        }
        None => {
            r.add(path, "this test needs a `value`");
            None
        }
    }
}

fn ints(r: &mut Report, path: &str, v: Option<&Json>) -> Option<Vec<i64>> {
    match v {
        Some(Json::Array(a)) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, x)| int(r, &format!("{path}[{i}]"), Some(x)))
            .collect::<Vec<_>>()
            .into_iter()
            .collect(),
        Some(Json::Number(_)) => int(r, path, v).map(|i| vec![i]),
        _ => {
            r.add(path, "expected a list of whole numbers");
            None
        }
    }
}

fn text(r: &mut Report, path: &str, v: Option<&Json>) -> Option<String> {
    match v {
        Some(Json::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Json::String(_)) => {
            r.hint(
                path,
                "empty text never matches",
                "use `op = \"absent\"` to test for an empty answer",
            );
            None
        }
        Some(other) => {
            r.add(path, found("expected text", other));
            None
        }
        None => {
            r.add(path, "this test needs a `value`");
            None
        }
    }
}

fn texts(r: &mut Report, path: &str, v: Option<&Json>) -> Option<Vec<String>> {
    match v {
        Some(Json::Array(a)) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, x)| text(r, &format!("{path}[{i}]"), Some(x)))
            .collect::<Vec<_>>()
            .into_iter()
            .collect(),
        Some(Json::String(_)) => text(r, path, v).map(|s| vec![s]),
        _ => {
            r.add(path, "expected a list of texts");
            None
        }
    }
}

/// `expected`, with the value found in diagnostics builds: printing JSON is
/// code the widget does without.
fn found(expected: &str, v: &Json) -> String {
    if DIAGNOSTICS {
        format!("{expected}, found {v}")
    } else {
        expected.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::sort_dedup;

    #[test]
    fn sort_dedup_gives_what_sort_and_dedup_give() {
        let mut seed: u64 = 7;
        for len in 0..200 {
            let mut ints = Vec::with_capacity(len);
            for _ in 0..len {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ints.push(i64::try_from(seed >> 58).unwrap_or(0) - 16);
            }
            let texts: Vec<String> = ints.iter().map(|i| format!("d{}", i * 7)).collect();
            let (mut a, mut b) = (ints.clone(), ints);
            sort_dedup(&mut a);
            b.sort_unstable();
            b.dedup();
            assert_eq!(a, b);
            let (mut a, mut b) = (texts.clone(), texts);
            sort_dedup(&mut a);
            b.sort_unstable();
            b.dedup();
            assert_eq!(a, b);
        }
    }
}
