//! [`FamilySamples`]: a family with the values the server passes in.

use crate::family::Family;

/// A summary's values: one per quantile of the family (`NaN` without data), count and sum.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryValue {
    /// The values of the family's quantiles, in the family's order.
    pub quantiles: Vec<f64>,
    pub count: f64,
    pub sum: f64,
}

impl SummaryValue {
    /// An empty summary of `quantiles` quantiles: `NaN`s, count and sum 0.
    pub fn empty(quantiles: usize) -> SummaryValue {
        SummaryValue {
            quantiles: vec![f64::NAN; quantiles],
            count: 0.0,
            sum: 0.0,
        }
    }
}

/// The values of a family.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    /// A counter or gauge without label.
    Value(f64),
    /// A summary without label.
    Summary(SummaryValue),
    /// A labelled counter or gauge: (label value, value); empty before the first label is used.
    Labelled(Vec<(String, f64)>),
    /// A labelled summary: (label value, summary).
    LabelledSummaries(Vec<(String, SummaryValue)>),
}

/// A family and its values, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilySamples {
    pub family: &'static Family,
    pub samples: Samples,
}
