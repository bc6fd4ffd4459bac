//! The round-robin counter: one SQLite-backed Durable Object per (form, team).
//!
//! A Durable Object runs one request at a time and its SQL calls are
//! synchronous, so the read-and-increment below cannot interleave: two leads
//! taken by two isolates at once still get two different turns.

use serde::Deserialize;
use worker::{console_error, durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::TURNS_BINDING;

#[durable_object]
pub struct TurnCounter {
    state: State,
}

#[derive(Deserialize)]
struct Turn {
    turn: i64,
}

impl DurableObject for TurnCounter {
    fn new(state: State, _env: Env) -> Self {
        TurnCounter { state }
    }

    /// Hands out the next turn: 0, 1, 2, ...
    async fn fetch(&self, _req: Request) -> Result<Response> {
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS turn (id INTEGER PRIMARY KEY CHECK (id = 0), next INTEGER NOT NULL)",
            None,
        )?;
        let row: Turn = sql
            .exec(
                "INSERT INTO turn (id, next) VALUES (0, 1) \
                 ON CONFLICT (id) DO UPDATE SET next = next + 1 \
                 RETURNING next - 1 AS turn",
                None,
            )?
            .one()?;
        Response::from_json(&serde_json::json!({ "turn": row.turn }))
    }
}

/// The next turn of `team` in `form`. If the counter cannot be reached the
/// lead is still taken, with a random turn: an uneven split for a moment is
/// better than a lost lead.
pub async fn next_turn(env: &Env, form: &str, team: &str) -> u64 {
    match ask(env, &format!("{form}/{team}")).await {
        Ok(t) => t,
        Err(e) => {
            console_error!("turn counter for `{form}/{team}` unavailable, picking at random: {e}");
            let mut b = [0u8; 8];
            let _ = getrandom::getrandom(&mut b);
            u64::from_le_bytes(b)
        }
    }
}

async fn ask(env: &Env, name: &str) -> Result<u64> {
    let stub = env.durable_object(TURNS_BINDING)?.get_by_name(name)?;
    let mut res = stub.fetch_with_str("https://turns.internal/next").await?;
    let Turn { turn } = res.json().await?;
    u64::try_from(turn).map_err(|_| worker::Error::RustError(format!("negative turn {turn}")))
}
