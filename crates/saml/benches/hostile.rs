//! Worst-case decision time per adversarial family (`tests/hostile/mod.rs`), each shape at the
//! largest size the input limit allows, next to the ordinary doubly signed 7 KB Response in
//! the same run, each the fastest of repeated runs. Goal: no family above 20× the ordinary
//! Response.
//!
//! Each shape runs in a child process (this binary, `ORGSSO_HOSTILE_CASE=<index>`) so a
//! super-linear one can be stopped at `ORGSSO_HOSTILE_TIMEOUT_S` (default 60) without
//! leaving a thread spinning under the next measurement.
#![allow(clippy::unwrap_used, clippy::expect_used)] // bench root: failing loudly is the point

#[path = "../tests/hostile/mod.rs"]
mod hostile;

use orgsso_saml::limits;
use orgsso_saml::{verify, MAX_RESPONSE_BYTES};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GOAL_RATIO: f64 = 20.0;

fn cases() -> Vec<hostile::Case> {
    hostile::all(MAX_RESPONSE_BYTES, bounds())
}

fn bounds() -> hostile::Bounds {
    hostile::Bounds {
        elements: limits::MAX_ELEMENTS,
        attributes_total: limits::MAX_ATTRIBUTES,
        attributes: limits::MAX_ATTRIBUTES_PER_ELEMENT,
        namespaces_per_element: limits::MAX_NAMESPACES_PER_ELEMENT,
        namespaces_in_scope: limits::MAX_NAMESPACES_IN_SCOPE,
        namespace_declarations: limits::MAX_NAMESPACE_DECLARATIONS,
        prefix_list: limits::MAX_PREFIX_LIST,
        depth: limits::MAX_DEPTH,
    }
}

/// Fastest wall time of `run`, repeated for about `budget` (at least 5 and at most 20 000
/// runs). The minimum, not the median: on a shared machine, noise only ever adds time, so the
/// fastest run is the stable estimate of the work itself, for the ordinary Response and the
/// hostile shapes alike.
fn fastest(budget: Duration, mut run: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    let mut runs = 0;
    let start = Instant::now();
    while runs < 5 || (start.elapsed() < budget && runs < 20_000) {
        let t = Instant::now();
        run();
        best = best.min(t.elapsed());
        runs += 1;
    }
    best
}

fn child(index: usize) {
    let case = cases().into_iter().nth(index).expect("case index");
    let (config, now) = (hostile::config(), hostile::now());
    let verdict = match verify(case.xml.as_bytes(), &config, now) {
        Ok(_) => "accepted".to_owned(),
        Err(rejection) => rejection.code().to_owned(),
    };
    let time = fastest(Duration::from_millis(500), || {
        let _ = black_box(verify(black_box(case.xml.as_bytes()), &config, now));
    });
    println!("{} {verdict}", time.as_nanos());
}

fn main() {
    if let Ok(index) = std::env::var("ORGSSO_HOSTILE_CASE") {
        child(index.parse().expect("ORGSSO_HOSTILE_CASE is an index"));
        return;
    }
    let timeout = Duration::from_secs(
        std::env::var("ORGSSO_HOSTILE_TIMEOUT_S")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let (config, now) = (hostile::config(), hostile::now());
    let ordinary = hostile::ORDINARY.as_bytes();
    assert!(verify(ordinary, &config, now).is_ok());
    let ordinary_time = fastest(Duration::from_secs(2), || {
        black_box(verify(black_box(ordinary), &config, now).unwrap());
    });
    println!(
        "ordinary doubly signed Response ({} bytes): {:>10.1} us",
        ordinary.len(),
        ordinary_time.as_secs_f64() * 1e6
    );

    let exe = std::env::current_exe().expect("own path");
    // family -> (worst time, label, verdict, timed out)
    let mut worst: BTreeMap<&str, (Duration, String, String, bool)> = BTreeMap::new();
    for (index, case) in cases().iter().enumerate() {
        assert!(
            case.xml.len() <= MAX_RESPONSE_BYTES,
            "{} is {} bytes, over the input limit",
            case.label,
            case.xml.len()
        );
        let mut proc = Command::new(&exe)
            .env("ORGSSO_HOSTILE_CASE", index.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the measuring child");
        let start = Instant::now();
        let (time, verdict, timed_out) = loop {
            if let Some(status) = proc.try_wait().expect("child status") {
                assert!(status.success(), "{} crashed the verifier", case.label);
                let mut out = String::new();
                std::io::Read::read_to_string(&mut proc.stdout.take().unwrap(), &mut out).unwrap();
                let (ns, verdict) = out.trim().split_once(' ').expect("child output");
                break (
                    Duration::from_nanos(ns.parse().unwrap()),
                    verdict.to_owned(),
                    false,
                );
            }
            if start.elapsed() > timeout {
                proc.kill().expect("stop the child");
                let _ = proc.wait();
                break (timeout, "(stopped)".to_owned(), true);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        println!(
            "  {:<22} {:>7} bytes {}{:>12.1} us  {:<28} {}",
            case.family,
            case.xml.len(),
            if timed_out { ">" } else { " " },
            time.as_secs_f64() * 1e6,
            verdict,
            case.label
        );
        let entry = worst.entry(case.family).or_insert((
            Duration::ZERO,
            String::new(),
            String::new(),
            false,
        ));
        if time >= entry.0 {
            *entry = (time, case.label.clone(), verdict, timed_out);
        }
    }

    println!("== worst decision time per family (input limit {MAX_RESPONSE_BYTES} bytes)");
    println!(
        "{:<22} {:>14} {:>9}  verdict / shape",
        "ordinary (7 KB)",
        format!("{:.1} us", ordinary_time.as_secs_f64() * 1e6),
        "1.0x"
    );
    let mut worst_ratio: f64 = 0.0;
    let mut worst_family = ("none", Duration::ZERO, false);
    for (family, (time, label, verdict, timed_out)) in &worst {
        let ratio = time.as_secs_f64() / ordinary_time.as_secs_f64();
        if ratio >= worst_ratio {
            worst_ratio = ratio;
            worst_family = (family, *time, *timed_out);
        }
        println!(
            "{:<22} {:>14} {:>8.1}x  {verdict}: {label}",
            family,
            format!(
                "{}{:.1} us",
                if *timed_out { ">" } else { "" },
                time.as_secs_f64() * 1e6
            ),
            ratio
        );
    }
    println!(
        "worst adversarial / ordinary: {worst_ratio:.1}x (goal <= {GOAL_RATIO}x): {}",
        if worst_ratio <= GOAL_RATIO {
            "ok"
        } else {
            "OVER"
        }
    );
    // One line for scripts/saml-bench.sh: family, its worst time and the ordinary time (us).
    println!(
        "hostile-summary worst_family={} worst_us={}{:.1} ordinary_us={:.1} ratio={worst_ratio:.1}",
        worst_family.0,
        if worst_family.2 { ">" } else { "" },
        worst_family.1.as_secs_f64() * 1e6,
        ordinary_time.as_secs_f64() * 1e6
    );
}
