//! [`write_text`]: the text exposition format 0.0.4 as simpleclient 0.9.0's
//! `TextFormat.write004` writes it, and [`mntr_samples`]: the same samples as
//! `PrometheusMetricsProvider.dump()` hands them to `mntr`.
//!
//! - `# HELP <name> <help>` (help escaped: `\` and newline), `# TYPE <name> <type>`;
//! - one line per sample: `<name>{<label>="<value>",...,} <Java double>`; label values escape
//!   `\`, `"` and newline; every label is followed by a comma; no timestamps;
//! - counters keep their name (simpleclient 0.9.0 writes no `_total` and no `_created`);
//! - summaries: `n{quantile="q",}` per quantile (a family label first), then `n_count` and
//!   `n_sum`;
//! - a labelled family without children prints only its HELP and TYPE.

use crate::family::Kind;
use crate::java_double::java_double;
use crate::samples::{FamilySamples, Samples, SummaryValue};

/// simpleclient's `TextFormat.CONTENT_TYPE_004`.
pub const CONTENT_TYPE_004: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One sample: name, labels, value.
struct Sample<'a> {
    name: String,
    labels: Vec<(&'a str, String)>,
    value: f64,
}

/// The exposition of `families`, in the given order.
pub fn write_text(families: &[FamilySamples]) -> String {
    let mut out = String::with_capacity(families.len() * 160);
    for fs in families {
        let f = fs.family;
        out.push_str("# HELP ");
        out.push_str(f.name);
        out.push(' ');
        out.push_str(&escape_help(f.help()));
        out.push_str("\n# TYPE ");
        out.push_str(f.name);
        out.push(' ');
        out.push_str(f.kind.as_str());
        out.push('\n');
        for s in samples(fs) {
            out.push_str(&s.name);
            if !s.labels.is_empty() {
                out.push('{');
                for (k, v) in &s.labels {
                    out.push_str(k);
                    out.push_str("=\"");
                    out.push_str(&escape_label(v));
                    out.push_str("\",");
                }
                out.push('}');
            }
            out.push(' ');
            out.push_str(&java_double(s.value));
            out.push('\n');
        }
    }
    out
}

/// `(sample name with labels, value)` per sample, in exposition order: the keys of the
/// Prometheus provider's `mntr` without their `zk_` prefix, e.g. `readlatency{quantile="0.5"}`,
/// `quota_count_limit_per_namespace{key="foo"}` (no trailing comma, values unescaped).
pub fn mntr_samples(families: &[FamilySamples]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for fs in families {
        for s in samples(fs) {
            let mut key = s.name;
            if !s.labels.is_empty() {
                let labels: Vec<String> = s
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{v}\""))
                    .collect();
                key.push('{');
                key.push_str(&labels.join(","));
                key.push('}');
            }
            out.push((key, s.value));
        }
    }
    out
}

fn samples(fs: &FamilySamples) -> Vec<Sample<'static>> {
    let f = fs.family;
    let label = f.label.unwrap_or("key");
    let mut out = Vec::new();
    match &fs.samples {
        Samples::Value(v) => out.push(Sample {
            name: f.name.to_string(),
            labels: Vec::new(),
            value: *v,
        }),
        Samples::Labelled(children) => {
            for (l, v) in children {
                out.push(Sample {
                    name: f.name.to_string(),
                    labels: vec![(label, l.clone())],
                    value: *v,
                });
            }
        }
        Samples::Summary(s) => summary(&mut out, fs, Vec::new(), s),
        Samples::LabelledSummaries(children) => {
            for (l, s) in children {
                summary(&mut out, fs, vec![(label, l.clone())], s);
            }
        }
    }
    debug_assert!(f.kind == Kind::Summary || out.iter().all(|s| s.name == f.name));
    out
}

fn summary(
    out: &mut Vec<Sample<'static>>,
    fs: &FamilySamples,
    labels: Vec<(&'static str, String)>,
    s: &SummaryValue,
) {
    let f = fs.family;
    for (i, q) in f.quantiles.iter().enumerate() {
        let mut l = labels.clone();
        l.push(("quantile", java_double(*q)));
        out.push(Sample {
            name: f.name.to_string(),
            labels: l,
            value: s.quantiles.get(i).copied().unwrap_or(f64::NAN),
        });
    }
    out.push(Sample {
        name: format!("{}_count", f.name),
        labels: labels.clone(),
        value: s.count,
    });
    out.push(Sample {
        name: format!("{}_sum", f.name),
        labels,
        value: s.sum,
    });
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::find;

    fn fam(name: &str) -> &'static crate::Family {
        find(name).unwrap_or_else(|| unreachable!("{name}"))
    }

    #[test]
    fn exposition_like_simpleclient() {
        let families = vec![
            FamilySamples {
                family: fam("znode_count"),
                samples: Samples::Value(20.0),
            },
            FamilySamples {
                family: fam("election_time"),
                samples: Samples::Summary(SummaryValue {
                    quantiles: vec![320.0],
                    count: 1.0,
                    sum: 320.0,
                }),
            },
            FamilySamples {
                family: fam("proposal_latency"),
                samples: Samples::Summary(SummaryValue::empty(3)),
            },
            FamilySamples {
                family: fam("quota_count_limit_per_namespace"),
                samples: Samples::Labelled(vec![("foo".into(), 100.0)]),
            },
            FamilySamples {
                family: fam("learner_handler_qp_size"),
                samples: Samples::LabelledSummaries(vec![(
                    "1".into(),
                    SummaryValue {
                        quantiles: vec![0.0],
                        count: 66.0,
                        sum: 3.0,
                    },
                )]),
            },
            FamilySamples {
                family: fam("ack_latency"),
                samples: Samples::LabelledSummaries(Vec::new()),
            },
            FamilySamples {
                family: fam("process_start_time_seconds"),
                samples: Samples::Value(1.796642178127E9),
            },
        ];
        let text = write_text(&families);
        let expected = "\
# HELP znode_count znode_count
# TYPE znode_count gauge
znode_count 20.0
# HELP election_time election_time
# TYPE election_time summary
election_time{quantile=\"0.5\",} 320.0
election_time_count 1.0
election_time_sum 320.0
# HELP proposal_latency proposal_latency
# TYPE proposal_latency summary
proposal_latency{quantile=\"0.5\",} NaN
proposal_latency{quantile=\"0.9\",} NaN
proposal_latency{quantile=\"0.99\",} NaN
proposal_latency_count 0.0
proposal_latency_sum 0.0
# HELP quota_count_limit_per_namespace quota_count_limit_per_namespace
# TYPE quota_count_limit_per_namespace gauge
quota_count_limit_per_namespace{key=\"foo\",} 100.0
# HELP learner_handler_qp_size learner_handler_qp_size
# TYPE learner_handler_qp_size summary
learner_handler_qp_size{key=\"1\",quantile=\"0.5\",} 0.0
learner_handler_qp_size_count{key=\"1\",} 66.0
learner_handler_qp_size_sum{key=\"1\",} 3.0
# HELP ack_latency ack_latency
# TYPE ack_latency summary
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.796642178127E9
";
        assert_eq!(text, expected);
        let mntr = mntr_samples(&families);
        let keys: Vec<&str> = mntr.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys[..4],
            [
                "znode_count",
                "election_time{quantile=\"0.5\"}",
                "election_time_count",
                "election_time_sum"
            ]
        );
        assert!(keys.contains(&"quota_count_limit_per_namespace{key=\"foo\"}"));
        assert!(keys.contains(&"learner_handler_qp_size{key=\"1\",quantile=\"0.5\"}"));
        assert_eq!(mntr.len(), 1 + 3 + 5 + 1 + 3 + 1);
    }

    #[test]
    fn label_values_are_escaped() {
        let families = vec![FamilySamples {
            family: fam("write_per_namespace"),
            samples: Samples::LabelledSummaries(vec![("a\"b\\c".into(), SummaryValue::empty(1))]),
        }];
        assert!(write_text(&families).contains("{key=\"a\\\"b\\\\c\",quantile=\"0.5\",} NaN"));
    }
}
