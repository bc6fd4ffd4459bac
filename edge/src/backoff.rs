//! When to try a delivery again, and whether to at all.
//!
//! The schedule is Standard Webhooks' (immediately, 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 14 h, 20 h, 24 h), each wait spread by ±20 % jitter so a
//! receiver that comes back up is not hit by every lead at once, capped at the
//! 12 hours a Cloudflare Queue can delay a message, and never sooner than the
//! receiver's `Retry-After`.

/// Waits between attempts, in seconds: the first attempt is immediate.
pub const STANDARD_SCHEDULE: [u32; 9] =
    [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];

/// The longest delay a queue message can be retried with.
const QUEUE_MAX_DELAY: u32 = 43_200;

/// What one attempt's outcome means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// 408, 429, 5xx, a network error or a timeout: try again later.
    Retry,
    /// `410 Gone`: the receiver is gone for good; turn the channel off.
    Gone,
    /// Any other 4xx: the receiver refuses this request; retrying would not help.
    Refused,
}

/// `None` is a network error (no status came back).
pub fn verdict(status: Option<u16>) -> Verdict {
    match status {
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        Some(408 | 429) | Some(500..=599) | None => Verdict::Retry,
        Some(_) => Verdict::Refused,
    }
}

/// The schedule in use: `RETRY_SCHEDULE` (comma-separated seconds) when set,
/// so tests and impatient operators can shorten it; the standard one otherwise.
pub fn schedule(setting: Option<&str>) -> Vec<u32> {
    setting
        .map(|s| {
            s.split(',')
                .filter_map(|p| p.trim().parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| STANDARD_SCHEDULE.to_vec())
}

/// Seconds to wait before attempt `attempts + 1`, or `None` once the schedule
/// is spent (`attempts` made so far, the first included). `jitter` is a
/// random number in `0..=u32::MAX`; `retry_after` the receiver's wish.
pub fn next_delay(
    schedule: &[u32],
    attempts: u32,
    jitter: u32,
    retry_after: Option<u32>,
) -> Option<u32> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let base = *schedule.get(index)?;
    // ±20 %: base * (0.8 + 0.4 * jitter / u32::MAX), in integers.
    let spread = u64::from(base) * 2 / 5;
    let offset = spread * u64::from(jitter) / u64::from(u32::MAX);
    let jittered = u64::from(base) - u64::from(base) / 5 + offset;
    let wait = jittered.max(u64::from(retry_after.unwrap_or(0)));
    Some(u32::try_from(wait).unwrap_or(u32::MAX).min(QUEUE_MAX_DELAY))
}

/// `Retry-After` in seconds: delta-seconds, or an HTTP date relative to `now_ms`.
pub fn retry_after(header: Option<&str>, now_ms: f64) -> Option<u32> {
    let h = header?.trim();
    if let Ok(s) = h.parse::<u32>() {
        return Some(s);
    }
    let at = js_date_parse(h)?;
    let secs = ((at - now_ms) / 1000.0).ceil();
    Some(if secs <= 0.0 {
        0
    } else if secs >= f64::from(QUEUE_MAX_DELAY) {
        QUEUE_MAX_DELAY
    } else {
        // In range, so the cast keeps the value.
        secs as u32
    })
}

#[cfg(target_arch = "wasm32")]
fn js_date_parse(s: &str) -> Option<f64> {
    let ms = worker::js_sys::Date::parse(s);
    (!ms.is_nan()).then_some(ms)
}

#[cfg(not(target_arch = "wasm32"))]
fn js_date_parse(_: &str) -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_sort_into_retry_gone_and_refused() {
        assert_eq!(verdict(Some(200)), Verdict::Delivered);
        assert_eq!(verdict(Some(204)), Verdict::Delivered);
        for s in [Some(408), Some(429), Some(500), Some(502), Some(503), None] {
            assert_eq!(verdict(s), Verdict::Retry, "{s:?}");
        }
        assert_eq!(verdict(Some(410)), Verdict::Gone);
        for s in [400, 401, 403, 404, 413, 422] {
            assert_eq!(verdict(Some(s)), Verdict::Refused, "{s}");
        }
    }

    #[test]
    fn waits_follow_the_schedule_within_the_jitter_and_then_stop() {
        let s = schedule(None);
        assert_eq!(s, STANDARD_SCHEDULE);
        assert_eq!(next_delay(&s, 0, 0, None), None);
        assert_eq!(next_delay(&s, 1, 0, None), Some(4));
        assert_eq!(next_delay(&s, 1, u32::MAX, None), Some(6));
        let mid = next_delay(&s, 2, u32::MAX / 2, None).unwrap_or(0);
        assert!((299..=301).contains(&mid), "{mid}");
        // Hours-long waits are capped at what a queue can delay.
        assert_eq!(next_delay(&s, 9, 0, None), Some(QUEUE_MAX_DELAY));
        assert_eq!(next_delay(&s, 10, 0, None), None, "schedule spent");
    }

    #[test]
    fn retry_after_is_honoured_but_never_shortens_the_wait() {
        let s = schedule(Some("1, 2,x,3"));
        assert_eq!(s, [1, 2, 3]);
        assert_eq!(next_delay(&s, 1, 0, Some(30)), Some(30));
        assert_eq!(next_delay(&s, 3, 0, Some(1)), Some(3));
        assert_eq!(retry_after(Some(" 120 "), 0.0), Some(120));
        assert_eq!(retry_after(Some("soon"), 0.0), None);
        assert_eq!(retry_after(None, 0.0), None);
        assert_eq!(schedule(Some("")), STANDARD_SCHEDULE);
    }
}
