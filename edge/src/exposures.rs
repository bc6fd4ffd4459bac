//! Views of a playbook experiment's arms: every time the edge serves a
//! bucketed visitor an arm's pre-rendered form (what the loader fetches once
//! per page view), the day's count for that arm grows. Counted after the
//! answer (`wait_until`), so a view never waits on D1. A browser reusing
//! the HTML it cached (60 s) is not counted again.

use baton::experiment::{visitor_ok, Arms};
use serde::Deserialize;
use worker::{console_warn, Context, D1Database, Date, Env};

use crate::store::{iso, storage, text};

/// Counts a view of `arm` of `arms` for `visitor`, after the answer.
pub fn count(ctx: &Context, env: &Env, arms: &Arms, arm: &str, visitor: Option<&str>) {
    if !visitor.is_some_and(visitor_ok) {
        return;
    }
    let Ok(db) = crate::store::db(env) else {
        return;
    };
    let day: String = iso(Date::now().as_millis() as f64)
        .chars()
        .take(10)
        .collect();
    let (experiment, arm) = (arms.id.clone(), arm.to_owned());
    ctx.wait_until(async move {
        let counted = db
            .prepare(
                "INSERT INTO exposures (day, experiment, arm, n) VALUES (?1, ?2, ?3, 1) \
                 ON CONFLICT (day, experiment, arm) DO UPDATE SET n = n + 1",
            )
            .bind(&[text(&day), text(&experiment), text(&arm)]);
        let result = match counted {
            Ok(s) => s.run().await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            console_warn!("exposure of {experiment}/{arm} not counted: {e}");
        }
    });
}

/// Views per (experiment, arm) on the days of `since`..`until` (RFC 3339).
pub async fn read(
    db: &D1Database,
    since: &str,
    until: &str,
) -> Result<Vec<(String, String, u32)>, crate::error::AppError> {
    #[derive(Deserialize)]
    struct Row {
        experiment: String,
        arm: String,
        n: f64,
    }
    let rows: Vec<Row> = db
        .prepare(
            "SELECT experiment, arm, sum(n) AS n FROM exposures \
             WHERE day >= substr(?1, 1, 10) AND day <= substr(?2, 1, 10) GROUP BY experiment, arm",
        )
        .bind(&[text(since), text(until)])
        .map_err(storage("binding"))?
        .all()
        .await
        .and_then(|r| r.results())
        .map_err(storage("exposures"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.experiment, r.arm, crate::store::whole_u32(r.n)))
        .collect())
}
