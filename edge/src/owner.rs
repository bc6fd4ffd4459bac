//! Account ownership, the part that needs D1: has this person, or this
//! company's domain, been routed to a rep before? The rules (who counts as
//! an owner, the wording sales sees) are `baton`'s (`shared/src/owner.rs`).
//! The lookup is one statement, run in the intake's read batch with the
//! idempotency lookup (one round trip for both).

use baton::{OwnerBasis, Playbook};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{js_sys, D1Database, D1PreparedStatement};

use crate::error::AppError;
use crate::store::{opt, text};

const DAY_MS: f64 = 86_400_000.0;

/// Who owns a lead, and why.
pub struct Found {
    pub rep: String,
    pub basis: OwnerBasis,
    /// Set when the same person came back: the lead this is a new touch on.
    pub returning_of: Option<String>,
}

/// The newest earlier lead of the same person, else of the same company.
#[derive(Deserialize)]
pub struct Earlier {
    id: String,
    returning_of: Option<String>,
    assigned_rep: String,
    same_person: u8,
}

/// What the lookup keys on: the address within `returning_days`, the
/// company domain within `ownership.days`. A free-mail or throwaway domain
/// (gmail.com) belongs to nobody.
pub struct Keys<'a> {
    email: Option<&'a str>,
    domain: Option<&'a str>,
    company: Option<&'a str>,
}

pub fn keys<'a>(playbook: &Playbook, email: Option<&'a str>, domain: Option<&'a str>) -> Keys<'a> {
    let company = domain.filter(|d| !baton::classify(d).is_some_and(|c| c.free || c.disposable));
    Keys {
        email: email.filter(|_| playbook.returning_days() > 0),
        domain: company.filter(|_| playbook.ownership_days() > 0),
        company,
    }
}

/// Earlier leads of the person (`same_person` 1) and of the company (0),
/// the newest of each, given the parameter numbers of the form and of the
/// four keys (email, its window's start, domain, its window's start).
/// Two lookups, each a walk down its own index (`leads_by_email`,
/// `leads_by_domain`) from the newest lead: as cheap at a million leads as
/// at ten. (One `OR` of both made SQLite scan every lead in the window.)
pub fn earlier_sql(form: u8, keys: u8) -> String {
    let (email, email_since, domain, domain_since) = (keys, keys + 1, keys + 2, keys + 3);
    format!(
        "SELECT * FROM (SELECT id, returning_of, assigned_rep, 1 AS same_person FROM leads \
           WHERE ?{email} IS NOT NULL AND form_id = ?{form} AND email = ?{email} \
           AND created_at > ?{email_since} AND status = 'accepted' AND assigned_rep IS NOT NULL \
           ORDER BY created_at DESC LIMIT 1) \
         UNION ALL \
         SELECT * FROM (SELECT id, returning_of, assigned_rep, 0 AS same_person FROM leads \
           WHERE ?{domain} IS NOT NULL AND form_id = ?{form} AND email_domain = ?{domain} \
           AND created_at > ?{domain_since} AND assigned_rep IS NOT NULL AND status = 'accepted' \
           ORDER BY created_at DESC LIMIT 1)"
    )
}

/// The values of `earlier_sql`'s four keys.
pub fn key_args(playbook: &Playbook, keys: &Keys<'_>, now_ms: f64) -> [JsValue; 4] {
    let since = |days: u32| -> JsValue {
        let at = now_ms - f64::from(days) * DAY_MS;
        JsValue::from(js_sys::Date::new(&JsValue::from_f64(at)).to_iso_string())
    };
    [
        opt(keys.email),
        since(playbook.returning_days()),
        opt(keys.domain),
        since(playbook.ownership_days()),
    ]
}

impl Keys<'_> {
    /// Whether there is anything to look up.
    pub fn any(&self) -> bool {
        self.email.is_some() || self.domain.is_some()
    }

    /// The named account the company is, if it is one.
    pub fn named<'p>(&self, playbook: &'p Playbook) -> Option<&'p baton::Rep> {
        self.company.and_then(|d| playbook.named_owner(d))
    }
}

/// The statement that finds an earlier lead, when there is anything to look for.
pub fn lookup(
    db: &D1Database,
    playbook: &Playbook,
    keys: &Keys<'_>,
    now_ms: f64,
) -> Result<Option<D1PreparedStatement>, AppError> {
    if !keys.any() {
        return Ok(None);
    }
    db.prepare(format!(
        "SELECT id, returning_of, assigned_rep, same_person FROM ({}) \
         ORDER BY same_person DESC LIMIT 1",
        earlier_sql(1, 2)
    ))
    .bind(&{
        let [a, b, c, d] = key_args(playbook, keys, now_ms);
        [text(playbook.id()), a, b, c, d]
    })
    .map(Some)
    .map_err(|e| AppError::StorageUnavailable(format!("binding the owner lookup: {e}")))
}

/// The owner: the earlier lead's rep (the same person first), else the
/// named account's.
pub fn decide(playbook: &Playbook, keys: &Keys<'_>, earlier: Option<Earlier>) -> Option<Found> {
    if let Some(e) = earlier {
        // The first lead of a series is the one later touches point at.
        let first = e.returning_of.unwrap_or(e.id);
        return Some(if e.same_person == 1 {
            Found {
                rep: e.assigned_rep,
                basis: OwnerBasis::Returning {
                    lead_id: first.clone(),
                },
                returning_of: Some(first),
            }
        } else {
            Found {
                rep: e.assigned_rep,
                basis: OwnerBasis::EarlierLead {
                    lead_id: first,
                    domain: keys.domain.unwrap_or_default().to_owned(),
                },
                returning_of: None,
            }
        });
    }
    let d = keys.company?;
    playbook.named_owner(d).map(|rep| Found {
        rep: rep.id.clone(),
        basis: OwnerBasis::NamedAccount {
            domain: d.to_owned(),
        },
        returning_of: None,
    })
}
