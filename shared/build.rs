//! Turns the vendored free-mail list into a sorted static array, so lookups
//! are a binary search with no start-up cost.

use std::io::Write;

fn main() {
    println!("cargo:rerun-if-changed=data/free-email-domains.txt");
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return;
    };
    let src = std::fs::read_to_string("data/free-email-domains.txt").unwrap_or_default();
    let mut domains: Vec<&str> = src
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    domains.sort_unstable();
    domains.dedup();
    let path = std::path::Path::new(&out_dir).join("free_email_domains.rs");
    let Ok(mut f) = std::fs::File::create(path) else {
        return;
    };
    let _ = writeln!(f, "[");
    for d in domains {
        let _ = writeln!(f, "{d:?},");
    }
    let _ = writeln!(f, "]");
}
