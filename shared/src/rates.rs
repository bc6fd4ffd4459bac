//! Rates as the reports and the backtest print them: four decimals (they
//! are read, not summed again), and none where nothing was counted.

/// `a / b`, or `None` when `b` is 0.
pub(crate) fn ratio(a: u32, b: u32) -> Option<f64> {
    (b > 0).then(|| round(f64::from(a) / f64::from(b)))
}

/// Two-proportion z statistic (pooled) of `a_hits / a_n` against
/// `b_hits / b_n`; `None` when either side counted nothing.
pub(crate) fn z(a_hits: u32, a_n: u32, b_hits: u32, b_n: u32) -> Option<f64> {
    if a_n == 0 || b_n == 0 {
        return None;
    }
    let (n1, n2) = (f64::from(a_n), f64::from(b_n));
    let (p1, p2) = (f64::from(a_hits) / n1, f64::from(b_hits) / n2);
    let p = f64::from(a_hits + b_hits) / (n1 + n2);
    let se = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return Some(0.0);
    }
    Some(round((p1 - p2) / se))
}

/// Four decimals.
pub(crate) fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
