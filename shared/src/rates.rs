//! Rates as the reports and the backtest print them: four decimals (they
//! are read, not summed again), and none where nothing was counted.

/// `a / b`, or `None` when `b` is 0.
pub(crate) fn ratio(a: u32, b: u32) -> Option<f64> {
    (b > 0).then(|| round(f64::from(a) / f64::from(b)))
}

/// Four decimals.
pub(crate) fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
