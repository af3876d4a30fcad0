//! [`Transcript`]: what one server did with one program, as comparable text, and the
//! step-by-step comparison of two transcripts.

use std::fmt::Write as _;

/// One step: its header line (`#0012 s2 create ...`) and what each session received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepRecord {
    pub header: String,
    pub lines: Vec<String>,
}

impl StepRecord {
    /// Sorts every contiguous run of `event` lines of the same session, in place.
    ///
    /// Used for steps that end a session: ZooKeeper deletes the session's ephemerals in the
    /// iteration order of a Java `HashSet<String>`, which no other implementation should have to
    /// reproduce; the per-session *multiset* of events and their position relative to that
    /// session's replies is still compared.
    pub fn sort_event_runs(&mut self) {
        let is_event = |l: &str| l.contains(" event ");
        let session_of = |l: &str| l.split_whitespace().next().map(str::to_string);
        let mut i = 0;
        while i < self.lines.len() {
            if !is_event(&self.lines[i]) {
                i += 1;
                continue;
            }
            let who = session_of(&self.lines[i]);
            let mut j = i + 1;
            while j < self.lines.len()
                && is_event(&self.lines[j])
                && session_of(&self.lines[j]) == who
            {
                j += 1;
            }
            self.lines[i..j].sort();
            i = j;
        }
    }
}

/// Everything one server produced for one seed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    /// Which server (for file names and reports).
    pub label: String,
    /// Informational lines that are never compared (raw base zxid, timings).
    pub notes: Vec<String>,
    pub steps: Vec<StepRecord>,
}

/// Markers of lines the driver writes when it could not talk to the server normally.
const ANOMALIES: &[&str] = &[
    "connect failed",
    "connect send failed",
    "connect: ",
    "bad ConnectResponse",
    " TIMEOUT",
    " EOF",
    "not connected",
    "lost during barrier",
    "read error",
    "send failed",
    "short frame",
    "still connected",
    "undecodable",
];

impl Transcript {
    /// The lines (with their step headers) that show the run itself went wrong: failed
    /// connects, timeouts, unexpected EOFs, ops on a dead connection. A reference run with any
    /// of these proves nothing, even if the other server did the same.
    pub fn anomalies(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|st| {
                st.lines
                    .iter()
                    .filter(|l| ANOMALIES.iter().any(|a| l.contains(a)))
                    .map(move |l| format!("{}: {l}", st.header))
            })
            .collect()
    }

    /// The full text: notes as `# ...` lines, then every step.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for n in &self.notes {
            let _ = writeln!(s, "# {n}");
        }
        for st in &self.steps {
            let _ = writeln!(s, "{}", st.header);
            for l in &st.lines {
                let _ = writeln!(s, "  {l}");
            }
        }
        s
    }
}

/// The result of comparing two transcripts step by step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comparison {
    /// Indexes of the steps whose records differ (a missing step counts as differing).
    pub differing: Vec<usize>,
}

impl Comparison {
    /// True if the transcripts are identical.
    pub fn is_match(&self) -> bool {
        self.differing.is_empty()
    }
}

/// Compares two transcripts step by step (notes are ignored).
pub fn compare(a: &Transcript, b: &Transcript) -> Comparison {
    let n = a.steps.len().max(b.steps.len());
    let differing = (0..n)
        .filter(|&i| a.steps.get(i) != b.steps.get(i))
        .collect();
    Comparison { differing }
}

fn render_steps(t: &Transcript, from: usize, to: usize, mark: usize) -> String {
    let mut s = String::new();
    for i in from..to {
        let Some(st) = t.steps.get(i) else {
            let _ = writeln!(s, "   (no step {i})");
            continue;
        };
        let m = if i == mark { ">>" } else { "  " };
        let _ = writeln!(s, "{m} {}", st.header);
        for l in &st.lines {
            let _ = writeln!(s, "{m}     {l}");
        }
    }
    s
}

/// A report on the first differing step: `context` steps before it and one after, from both
/// transcripts, then a line-level diff of that step.
pub fn diff_report(a: &Transcript, b: &Transcript, cmp: &Comparison, context: usize) -> String {
    let Some(&first) = cmp.differing.first() else {
        return "transcripts are identical\n".to_string();
    };
    let from = first.saturating_sub(context);
    let to = (first + 2).min(a.steps.len().max(b.steps.len()));
    let mut s = String::new();
    let _ = writeln!(
        s,
        "first mismatch at step {first}; {} differing steps in all",
        cmp.differing.len()
    );
    let _ = writeln!(s, "\n=== {} ===", a.label);
    s.push_str(&render_steps(a, from, to, first));
    let _ = writeln!(s, "\n=== {} ===", b.label);
    s.push_str(&render_steps(b, from, to, first));
    let _ = writeln!(
        s,
        "\n=== step {first}: line diff ({} / {}) ===",
        a.label, b.label
    );
    let empty = StepRecord::default();
    let sa = a.steps.get(first).unwrap_or(&empty);
    let sb = b.steps.get(first).unwrap_or(&empty);
    let la: Vec<&String> = std::iter::once(&sa.header).chain(sa.lines.iter()).collect();
    let lb: Vec<&String> = std::iter::once(&sb.header).chain(sb.lines.iter()).collect();
    for i in 0..la.len().max(lb.len()) {
        match (la.get(i), lb.get(i)) {
            (Some(x), Some(y)) if x == y => {
                let _ = writeln!(s, "  {x}");
            }
            (x, y) => {
                if let Some(x) = x {
                    let _ = writeln!(s, "- {x}");
                }
                if let Some(y) = y {
                    let _ = writeln!(s, "+ {y}");
                }
            }
        }
    }
    s
}
