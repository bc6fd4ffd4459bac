//! Turns the vendored free-mail list into a sorted static array, so lookups
//! are a binary search with no start-up cost; and lists the golden vectors
//! for the tests that run where there is no filesystem (wasm in Chromium).

use std::io::Write;

fn main() {
    println!("cargo:rerun-if-changed=data/free-email-domains.txt");
    let Ok(out_dir) = std::env::var("OUT_DIR") else {
        return;
    };
    // A missing list would build an engine that calls no address free mail.
    let src = match std::fs::read_to_string("data/free-email-domains.txt") {
        Ok(s) => s,
        Err(e) => {
            eprintln!("shared/data/free-email-domains.txt: {e} (restore it from git)");
            std::process::exit(1);
        }
    };
    let domains: Vec<&str> = src
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    write_sorted(&out_dir, "free_email_domains.rs", domains);
    // mailchecker's disposable list, sorted too: the crate scans it linearly.
    write_sorted(&out_dir, "disposable_domains.rs", mailchecker::blacklist());
    write_vector_list(&out_dir);
}

/// Writes `name`: `domains` sorted and deduplicated as a static array
/// literal, so a lookup is a binary search.
fn write_sorted(out_dir: &str, name: &str, mut domains: Vec<&str>) {
    domains.sort_unstable();
    domains.dedup();
    let path = std::path::Path::new(out_dir).join(name);
    let Ok(mut f) = std::fs::File::create(path) else {
        return;
    };
    let _ = writeln!(f, "[");
    for d in domains {
        let _ = writeln!(f, "{d:?},");
    }
    let _ = writeln!(f, "]");
}

/// Writes `vectors.rs`: `(file name, contents)` of every `tests/vectors/*.json`
/// via `include_str!`, plus the demo playbook, so the wasm test embeds them
/// and rebuilds when one changes. Sorted, so every target runs them in the same order.
fn write_vector_list(out_dir: &str) {
    println!("cargo:rerun-if-changed=tests/vectors");
    let Ok(manifest) = std::env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    let root = std::path::Path::new(&manifest);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("tests/vectors"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let Ok(mut f) = std::fs::File::create(std::path::Path::new(out_dir).join("vectors.rs")) else {
        return;
    };
    let _ = writeln!(f, "/// Every golden vector: (file name, JSON text).");
    let _ = writeln!(f, "pub static VECTORS: &[(&str, &str)] = &[");
    for p in &files {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let _ = writeln!(
            f,
            "    ({name:?}, include_str!({:?})),",
            p.display().to_string()
        );
    }
    let _ = writeln!(f, "];");
    let demo = root.join("../icp.toml");
    println!("cargo:rerun-if-changed={}", demo.display());
    let _ = writeln!(
        f,
        "/// The demo playbook that vectors name as `\"playbook\": \"demo\"`."
    );
    let _ = writeln!(
        f,
        "pub static DEMO_PLAYBOOK: &str = include_str!({:?});",
        demo.display().to_string()
    );
}
