//! [`Family`]: one metric family of the catalogue.

use crate::role::{Role, Roles};

/// The Prometheus type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Counter,
    Gauge,
    Summary,
}

impl Kind {
    /// The word of the `# TYPE` line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Summary => "summary",
        }
    }
}

/// Where a family comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// ZooKeeper's own (`ServerMetrics`, `registerGauge`): help = name.
    ZooKeeper,
    /// simpleclient_hotspot's `ProcessCollector` (exported with `metricsProvider.exportJvmInfo`),
    /// with its help text.
    Process { help: &'static str },
}

/// A BASIC summary's quantiles (`SummaryLevel.BASIC`).
pub const BASIC: &[f64] = &[0.5];
/// An ADVANCED summary's quantiles (`SummaryLevel.ADVANCED`).
pub const ADVANCED: &[f64] = &[0.5, 0.9, 0.99];

/// One family: name, type, quantiles, label and the roles that have it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    /// The quantiles of a summary (empty for counters and gauges).
    pub quantiles: &'static [f64],
    /// The label name of a labelled family (`key`); `None` for a plain one.
    pub label: Option<&'static str>,
    pub roles: Roles,
    pub origin: Origin,
}

impl Family {
    /// A ZooKeeper counter on every server.
    pub const fn counter(name: &'static str, label: Option<&'static str>) -> Family {
        Family::zk(name, Kind::Counter, &[], label)
    }

    /// A ZooKeeper gauge on every serving server.
    pub const fn gauge(name: &'static str, label: Option<&'static str>) -> Family {
        Family::zk(name, Kind::Gauge, &[], label)
    }

    /// A ZooKeeper summary on every server.
    pub const fn summary(
        name: &'static str,
        quantiles: &'static [f64],
        label: Option<&'static str>,
    ) -> Family {
        Family::zk(name, Kind::Summary, quantiles, label)
    }

    /// A `process_*` family with simpleclient's help text.
    pub const fn process(name: &'static str, kind: Kind, help: &'static str) -> Family {
        Family {
            name,
            kind,
            quantiles: &[],
            label: None,
            roles: Roles::ALL,
            origin: Origin::Process { help },
        }
    }

    const fn zk(
        name: &'static str,
        kind: Kind,
        quantiles: &'static [f64],
        label: Option<&'static str>,
    ) -> Family {
        Family {
            name,
            kind,
            quantiles,
            label,
            roles: Roles::ALL,
            origin: Origin::ZooKeeper,
        }
    }

    /// The same family, on `roles` only.
    pub const fn only(self, roles: Roles) -> Family {
        Family { roles, ..self }
    }

    /// The `# HELP` text: the name for ZooKeeper's families.
    pub const fn help(&self) -> &'static str {
        match self.origin {
            Origin::ZooKeeper => self.name,
            Origin::Process { help } => help,
        }
    }

    /// Whether the family is a ZooKeeper server gauge: registered by a running
    /// `ZooKeeperServer` and gone while a quorum member is not serving.
    pub const fn is_server_gauge(&self) -> bool {
        matches!(self.kind, Kind::Gauge) && matches!(self.origin, Origin::ZooKeeper)
    }

    /// Whether the family is exported on a server in `role` (that serves or not).
    pub const fn exists_on(&self, role: Role, serving: bool) -> bool {
        self.roles.contains(role) && (serving || !self.is_server_gauge())
    }
}
