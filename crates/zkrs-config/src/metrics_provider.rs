//! [`MetricsProviderConfig`]: `metricsProvider.className` and the other `metricsProvider.*`
//! keys, with the prefix stripped (3.6+).

use std::collections::BTreeMap;

/// The default provider class (feeds `mntr` and the admin `monitor` command only).
pub const DEFAULT_METRICS_PROVIDER: &str =
    "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";
/// The Prometheus provider class.
pub const PROMETHEUS_METRICS_PROVIDER: &str =
    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";
/// The provider that records nothing.
pub const NULL_METRICS_PROVIDER: &str = "org.apache.zookeeper.metrics.impl.NullMetricsProvider";

/// Which metrics provider to run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsProviderConfig {
    /// `metricsProvider.className` (`DefaultMetricsProvider`).
    pub class_name: String,
    /// Every other `metricsProvider.<name>=<value>` as `<name>` → value (e.g. `httpPort`).
    pub properties: BTreeMap<String, String>,
}

impl Default for MetricsProviderConfig {
    fn default() -> MetricsProviderConfig {
        MetricsProviderConfig {
            class_name: DEFAULT_METRICS_PROVIDER.to_owned(),
            properties: BTreeMap::new(),
        }
    }
}

impl MetricsProviderConfig {
    /// Whether the Prometheus provider is configured.
    pub fn is_prometheus(&self) -> bool {
        self.class_name == PROMETHEUS_METRICS_PROVIDER
    }

    /// Whether zkrs knows the configured class.
    pub fn is_known(&self) -> bool {
        [
            DEFAULT_METRICS_PROVIDER,
            PROMETHEUS_METRICS_PROVIDER,
            NULL_METRICS_PROVIDER,
        ]
        .contains(&self.class_name.as_str())
    }

    /// A provider property (prefix stripped), e.g. `get("httpPort")`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_known() {
        let m = MetricsProviderConfig::default();
        assert!(m.is_known());
        assert!(!m.is_prometheus());
        let p = MetricsProviderConfig {
            class_name: PROMETHEUS_METRICS_PROVIDER.into(),
            properties: [("httpPort".to_owned(), "7000".to_owned())].into(),
        };
        assert!(p.is_prometheus());
        assert_eq!(p.get("httpPort"), Some("7000"));
    }
}
