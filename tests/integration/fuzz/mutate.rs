//! Mutations of model text: byte flips, token deletion and duplication,
//! numbers replaced by edge values, emptied strings, lines and keys swapped
//! between tables, changed units, inserted keys, replaced distributions,
//! truncation and lines spliced in from another model.

use std::ops::Range;

use rand::RngExt;

use super::Rng;
use super::generate::Generator;

/// Numbers that break code which assumes sensible ones.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "-1",
    "1",
    "2",
    "1e308",
    "-1e308",
    "1e-308",
    "5e-324",
    "1.7976931348623157e308",
    "nan",
    "inf",
    "-inf",
    "+inf",
    "255",
    "256",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551615",
    "99999999999999999999999",
    "100000000",
    "100000001",
    "10000",
    "10001",
    "1000000",
    "9999999",
    "1e9",
    "1e10",
    "1e-9",
    "1e-10",
    "0.5",
    "0.999999999",
    "1_000",
    "0x10",
    "1e",
    ".5",
    "5.",
    "1__0",
];

/// Replacement string contents.
const EDGE_STRINGS: &[&str] = &[
    "", " ", "ms", "1", "s", "nan", "inf", "x.y", "a.b.c", ".", "..", "exp()", "exp(", "/s", "0/s", "1/0s", "1e308/s",
    "5e-324/s", "1/ns", "0ms", "-0s", "1e308s", "nanms", "infms", "\\u0000", "é", "api.get", "api", "365d", "1ns",
    "0.4ns", "1e20ms",
];

/// Keys of the language, for insertions and swaps.
const KEYS: &[&str] = &[
    "duration",
    "requests",
    "warmup",
    "seed",
    "replications",
    "max_in_flight",
    "target",
    "rate",
    "process",
    "interarrival",
    "users",
    "think",
    "priority",
    "instances",
    "instance_type",
    "threads",
    "workers",
    "cores",
    "speed",
    "queue_limit",
    "concurrency",
    "discipline",
    "balance",
    "cost_per_hour",
    "demand",
    "steps",
    "latency",
    "bandwidth",
    "keys",
    "zipf",
    "ttl",
    "lookup",
    "on_write",
    "size",
    "per",
    "wait_timeout",
    "catalog",
];

/// Values to insert with those keys.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "1e308",
    "nan",
    "inf",
    "4294967295",
    "18446744073709551615",
    "\"\"",
    "\"1s\"",
    "\"0s\"",
    "\"1e308s\"",
    "\"900/s\"",
    "\"1e308/s\"",
    "\"exp(1ms)\"",
    "\"const(0s)\"",
    "\"const(1e308s)\"",
    "\"api.get\"",
    "true",
    "[]",
    "[{}]",
    "{}",
    "\"event_loop\"",
    "\"priority\"",
    "\"random\"",
    "[{ call = \"db.read\" }]",
    "[{ forward = \"api.get\" }]",
    "\"pareto(alpha=1.0001, min=1ms)\"",
    "255",
    "65536",
];

const UNITS: &[&str] =
    &["ns", "us", "µs", "ms", "s", "sec", "m", "min", "h", "d", "", "x", "/s", "/ms", "/h", "/0s", "KB", "Gbps"];

/// Applies one to four random mutations.
pub fn mutate(rng: &mut Rng, text: &str, corpus: &[String], instance_types: &[String]) -> String {
    let mut text = text.to_string();
    for _ in 0..rng.random_range(1..=4) {
        text = match rng.random_range(0..13) {
            0 => flip_bytes(rng, &text),
            1 => delete_tokens(rng, &text),
            2 => duplicate(rng, &text),
            3 | 4 => replace_number(rng, &text),
            5 => replace_string(rng, &text),
            6 => swap_lines(rng, &text),
            7 => swap_keys(rng, &text),
            8 => change_unit(rng, &text),
            9 => insert_key(rng, &text),
            10 => replace_dist(rng, &text, instance_types),
            11 => truncate(rng, &text),
            _ => splice(rng, &text, corpus),
        };
    }
    text
}

fn pick<'a>(rng: &mut Rng, items: &'a [&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn replace(text: &str, span: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..span.start], &text[span.end..])
}

/// Byte-level damage; the result is made valid UTF-8 again (lossily).
fn flip_bytes(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return text.to_string();
    }
    for _ in 0..rng.random_range(1..=3) {
        let i = rng.random_range(0..bytes.len());
        bytes[i] = match rng.random_range(0..3) {
            0 => bytes[i] ^ (1 << rng.random_range(0..8)),
            1 => b"\"=[]{},.\n#'\\0- \t\x00\x7f"[rng.random_range(0..18)],
            _ => rng.random(),
        };
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Spans of tokens: words, quoted strings and single punctuation characters.
fn tokens(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        if c == '"' {
            for (i, d) in chars.by_ref() {
                end = i + d.len_utf8();
                if d == '"' || d == '\n' {
                    break;
                }
            }
        } else if c.is_alphanumeric() || "_.-+".contains(c) {
            while let Some(&(i, d)) = chars.peek() {
                if !(d.is_alphanumeric() || "_.-+".contains(d)) {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
        }
        out.push(start..end);
    }
    out
}

fn delete_tokens(rng: &mut Rng, text: &str) -> String {
    let toks = tokens(text);
    if toks.is_empty() {
        return text.to_string();
    }
    let first = rng.random_range(0..toks.len());
    let last = (first + rng.random_range(0..3)).min(toks.len() - 1);
    replace(text, toks[first].start..toks[last].end, "")
}

/// Duplicates a token, a line or a whole table.
fn duplicate(rng: &mut Rng, text: &str) -> String {
    match rng.random_range(0..3) {
        0 => {
            let toks = tokens(text);
            if toks.is_empty() {
                return text.to_string();
            }
            let t = toks[rng.random_range(0..toks.len())].clone();
            let copy = text[t.clone()].to_string();
            replace(text, t.end..t.end, &format!(" {copy}"))
        }
        1 => {
            let lines: Vec<&str> = text.lines().collect();
            if lines.is_empty() {
                return text.to_string();
            }
            let i = rng.random_range(0..lines.len());
            let mut out: Vec<&str> = lines.clone();
            out.insert(i, lines[i]);
            out.join("\n")
        }
        _ => {
            let tables = tables(text);
            if tables.is_empty() {
                return text.to_string();
            }
            let t = tables[rng.random_range(0..tables.len())].clone();
            format!("{text}\n{}", &text[t])
        }
    }
}

/// Spans of numbers (inside strings too: "25ms", "0.9/s", "alpha=2.5").
fn numbers(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphabetic() || b[i - 1] == b'_')) {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.' || b[j] == b'_') {
                j += 1;
            }
            if j + 1 < b.len() && (b[j] == b'e' || b[j] == b'E') && (b[j + 1].is_ascii_digit() || b[j + 1] == b'-') {
                j += 2;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            out.push(start..j);
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn replace_number(rng: &mut Rng, text: &str) -> String {
    let nums = numbers(text);
    if nums.is_empty() {
        return text.to_string();
    }
    let n = nums[rng.random_range(0..nums.len())].clone();
    replace(text, n, pick(rng, EDGE_NUMBERS))
}

/// Spans of the contents of "..." strings.
fn strings(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, c) in text.char_indices() {
        match (c, open) {
            ('"', None) => open = Some(i + 1),
            ('"', Some(s)) => {
                out.push(s..i);
                open = None;
            }
            ('\n', _) => open = None,
            _ => {}
        }
    }
    out
}

fn replace_string(rng: &mut Rng, text: &str) -> String {
    let strs = strings(text);
    if strs.is_empty() {
        return text.to_string();
    }
    let s = strs[rng.random_range(0..strs.len())].clone();
    replace(text, s, pick(rng, EDGE_STRINGS))
}

/// Spans of `[table]` sections, header included.
fn tables(text: &str) -> Vec<Range<usize>> {
    let mut starts: Vec<usize> = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            starts.push(pos);
        }
        pos += line.len();
    }
    starts.iter().enumerate().map(|(i, &s)| s..starts.get(i + 1).copied().unwrap_or(text.len())).collect()
}

/// `key = value` lines as (line index, table index).
fn assignments(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut table = 0;
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if t.starts_with('[') {
            table += 1;
        } else if !t.starts_with('#') && t.contains('=') && t.split('=').next().is_some_and(|k| !k.contains('{')) {
            out.push((i, table));
        }
    }
    out
}

/// Swaps two `key = value` lines of different tables, or moves one.
fn swap_lines(rng: &mut Rng, text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let assigns = assignments(&lines);
    if assigns.len() < 2 {
        return text.to_string();
    }
    let a = assigns[rng.random_range(0..assigns.len())];
    let b = assigns[rng.random_range(0..assigns.len())];
    let mut out: Vec<&str> = lines.clone();
    if rng.random_bool(0.5) {
        out.swap(a.0, b.0);
    } else {
        let moved = out.remove(a.0);
        out.insert(b.0.min(out.len()), moved);
    }
    out.join("\n")
}

/// Swaps the keys (not the values) of two assignments, or renames one.
fn swap_keys(rng: &mut Rng, text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let assigns = assignments(&lines);
    if assigns.is_empty() {
        return text.to_string();
    }
    let split = |l: &str| {
        let (k, v) = l.split_once('=').expect("an assignment");
        (k.trim().to_string(), v.to_string())
    };
    let a = assigns[rng.random_range(0..assigns.len())].0;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let (ka, va) = split(lines[a]);
    if rng.random_bool(0.5) {
        let b = assigns[rng.random_range(0..assigns.len())].0;
        let (kb, vb) = split(lines[b]);
        out[a] = format!("{kb} ={va}");
        out[b] = format!("{ka} ={vb}");
    } else {
        out[a] = format!("{} ={va}", pick(rng, KEYS));
    }
    out.join("\n")
}

/// Replaces the unit after a number inside a string.
fn change_unit(rng: &mut Rng, text: &str) -> String {
    let b = text.as_bytes();
    let units: Vec<Range<usize>> = numbers(text)
        .into_iter()
        .filter_map(|n| {
            let mut j = n.end;
            while j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'/') {
                j += 1;
            }
            (j > n.end).then_some(n.end..j)
        })
        .collect();
    if units.is_empty() {
        return text.to_string();
    }
    let u = units[rng.random_range(0..units.len())].clone();
    replace(text, u, pick(rng, UNITS))
}

/// Inserts `key = value` after a table header (or at the top).
fn insert_key(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let headers: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| l.trim_start().starts_with('[')).map(|(i, _)| i + 1).collect();
    let at = if headers.is_empty() || rng.random_bool(0.05) { 0 } else { headers[rng.random_range(0..headers.len())] };
    lines.insert(at, format!("{} = {}", pick(rng, KEYS), pick(rng, VALUES)));
    lines.join("\n")
}

/// Replaces a string that looks like a distribution with a generated one.
fn replace_dist(rng: &mut Rng, text: &str, instance_types: &[String]) -> String {
    let dists: Vec<Range<usize>> = strings(text).into_iter().filter(|s| text[s.clone()].contains('(')).collect();
    if dists.is_empty() {
        return text.to_string();
    }
    let s = dists[rng.random_range(0..dists.len())].clone();
    let d = Generator::new(rng, instance_types).dist(0.01, 100.0);
    replace(text, s, &d)
}

fn truncate(rng: &mut Rng, text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut at = rng.random_range(0..text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[..at].to_string()
}

/// Inserts a line of another model at a random place.
fn splice(rng: &mut Rng, text: &str, corpus: &[String]) -> String {
    let donor: Vec<&str> = corpus[rng.random_range(0..corpus.len())].lines().collect();
    let mut lines: Vec<&str> = text.lines().collect();
    if donor.is_empty() {
        return text.to_string();
    }
    let line = donor[rng.random_range(0..donor.len())];
    let at = rng.random_range(0..=lines.len());
    lines.insert(at, line);
    lines.join("\n")
}
