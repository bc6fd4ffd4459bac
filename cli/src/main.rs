//! `baton`: the playbook's command line. Checks a playbook (every problem with
//! its path), scores a lead with reasons, prints the public copy and the JSON
//! Schema of the playbook and the OpenAPI document of the edge's API. Thin
//! over `baton-shared`: no rule logic lives here.

mod backtest;
mod openapi;

use std::io::Read;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use baton::{Playbook, Problems, Submission};

const USAGE: &str = "\
usage:
  baton check PLAYBOOK            list every problem with its path; exit 1 if any
                                  (warnings are listed too, and exit 0)
  baton score PLAYBOOK LEAD [--json]
                                  score a lead (JSON submission, `-` for stdin)
  baton backtest PLAYBOOK OUTCOMES.csv [--against OLD_PLAYBOOK] [--from-edge] [--json]
                                  score past leads and compare with their outcomes:
                                  win rate per grade, precision and recall of
                                  `qualified`, lift, and the rules with no signal
  baton public PLAYBOOK           print the public copy browsers receive (JSON)
  baton schema                    print the JSON Schema of the playbook format
  baton openapi                   print the OpenAPI document of the edge's HTTP API

PLAYBOOK is an icp.toml (or .json) file.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("baton: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &str) -> Result<std::result::Result<Playbook, Problems>> {
    let src = std::fs::read_to_string(path).with_context(|| format!("cannot read `{path}`"))?;
    Ok(if path.ends_with(".json") {
        baton::parse_json(&src)
    } else {
        baton::parse_toml(&src)
    })
}

fn print_problems(path: &str, problems: &Problems) {
    for p in &problems.0 {
        println!("{path}: {p}");
    }
    let n = problems.0.len();
    println!("{n} problem{}", if n == 1 { "" } else { "s" });
}

fn run(args: &[String]) -> Result<ExitCode> {
    let strs: Vec<&str> = args.iter().map(String::as_str).collect();
    match strs.as_slice() {
        ["check", path] => match load(path)? {
            Ok(pb) => {
                println!(
                    "{path}: ok — {} fields, {} rules ({} edge-only), version {}",
                    pb.fields().len(),
                    pb.raw().rules.len(),
                    pb.edge_rule_count(),
                    pb.version()
                );
                // Warnings lose no lead at compile time, so they do not fail the check.
                for w in pb.warnings() {
                    println!("{path}: warning: {w}");
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                print_problems(path, &problems);
                Ok(ExitCode::from(1))
            }
        },
        ["score", path, lead, rest @ ..] => {
            let json = match rest {
                [] => false,
                ["--json"] => true,
                _ => bail!("unknown option `{}`\n{USAGE}", rest.join(" ")),
            };
            let pb = match load(path)? {
                Ok(pb) => pb,
                Err(problems) => {
                    print_problems(path, &problems);
                    return Ok(ExitCode::from(1));
                }
            };
            let src = if *lead == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            } else {
                std::fs::read_to_string(lead).with_context(|| format!("cannot read `{lead}`"))?
            };
            let sub: Submission = serde_json::from_str(&src).with_context(|| {
                format!("`{lead}` is not a submission (`{{\"fields\": {{…}}}}`)")
            })?;
            let d = pb.evaluate(&sub);
            if json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                print_decision(&d);
            }
            Ok(ExitCode::SUCCESS)
        }
        ["backtest", path, csv, rest @ ..] => {
            let mut o = backtest::Options {
                playbook: path,
                csv,
                against: None,
                from_edge: false,
                json: false,
            };
            let mut rest = rest.iter();
            while let Some(a) = rest.next() {
                match *a {
                    "--against" => {
                        o.against = Some(rest.next().context("`--against` needs a playbook")?)
                    }
                    "--from-edge" => o.from_edge = true,
                    "--json" => o.json = true,
                    other => bail!("unknown option `{other}`\n{USAGE}"),
                }
            }
            let compiled = |p: &str| -> Result<Playbook> {
                match load(p)? {
                    Ok(pb) => Ok(pb),
                    Err(problems) => {
                        print_problems(p, &problems);
                        bail!("`{p}` has problems; fix them first (`baton check {p}`)")
                    }
                }
            };
            backtest::run(&o, compiled)?;
            Ok(ExitCode::SUCCESS)
        }
        ["public", path] => match load(path)? {
            Ok(pb) => {
                println!("{}", serde_json::to_string_pretty(&pb.public())?);
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                print_problems(path, &problems);
                Ok(ExitCode::from(1))
            }
        },
        ["schema"] => {
            println!("{}", serde_json::to_string_pretty(&baton::schema())?);
            Ok(ExitCode::SUCCESS)
        }
        ["openapi"] => {
            println!("{}", serde_json::to_string_pretty(&openapi::document()?)?);
            Ok(ExitCode::SUCCESS)
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => bail!("{USAGE}"),
    }
}

fn print_decision(d: &baton::Decision) {
    for e in &d.field_errors {
        println!(
            "field error  {}: {} ({})",
            e.field,
            e.message,
            serde_json::to_string(&e.code)
                .unwrap_or_default()
                .trim_matches('"')
        );
    }
    let verdict = if let Some(k) = &d.knocked_out {
        format!("knocked out by `{k}`")
    } else if d.qualified {
        "marketing qualified".to_owned()
    } else {
        "not qualified".to_owned()
    };
    println!("score {}  grade {}  {verdict}", d.score, d.grade);
    for r in &d.reasons {
        println!("  {:+5}  {:<22} {}", r.points, r.rule, r.because);
    }
    if let Some(route) = &d.route {
        let team = route.team_name.as_deref().unwrap_or("a named rep");
        let reps: Vec<&str> = route.candidates.iter().map(|c| c.name.as_str()).collect();
        println!("route {} → {team} ({})", route.route, reps.join(", "));
        println!("  because {}", route.because);
    }
    if let Some(m) = d.sla_minutes {
        println!("sla   first touch within {m} minutes");
    }
    println!(
        "playbook version {}{}",
        d.version,
        if d.provisional { " (provisional)" } else { "" }
    );
}
