//! [`Command`]: the 26 AdminServer commands of ZooKeeper 3.8 (`admin/Commands.java`), their
//! names (primary first, then the aliases) and whether they need a serving server.

/// One AdminServer command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    ConnectionStatReset,
    Configuration,
    Connections,
    Hash,
    Dirs,
    Dump,
    Environment,
    GetTraceMask,
    InitialConfiguration,
    IsReadOnly,
    LastSnapshot,
    Leader,
    Monitor,
    ObserverConnectionStatReset,
    Ruok,
    SetTraceMask,
    ServerStats,
    Stats,
    StatReset,
    Observers,
    SystemProperties,
    VotingView,
    Watches,
    WatchesByPath,
    WatchSummary,
    ZabState,
}

impl Command {
    /// Every command, in ZooKeeper's registration order.
    pub const ALL: [Command; 26] = [
        Command::ConnectionStatReset,
        Command::Configuration,
        Command::Connections,
        Command::Hash,
        Command::Dirs,
        Command::Dump,
        Command::Environment,
        Command::GetTraceMask,
        Command::InitialConfiguration,
        Command::IsReadOnly,
        Command::LastSnapshot,
        Command::Leader,
        Command::Monitor,
        Command::ObserverConnectionStatReset,
        Command::Ruok,
        Command::SetTraceMask,
        Command::ServerStats,
        Command::Stats,
        Command::StatReset,
        Command::Observers,
        Command::SystemProperties,
        Command::VotingView,
        Command::Watches,
        Command::WatchesByPath,
        Command::WatchSummary,
        Command::ZabState,
    ];

    /// The names, primary first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Command::ConnectionStatReset => &["connection_stat_reset", "crst"],
            Command::Configuration => &["configuration", "conf", "config"],
            Command::Connections => &["connections", "cons"],
            Command::Hash => &["hash"],
            Command::Dirs => &["dirs"],
            Command::Dump => &["dump"],
            Command::Environment => &["environment", "env", "envi"],
            Command::GetTraceMask => &["get_trace_mask", "gtmk"],
            Command::InitialConfiguration => &["initial_configuration", "icfg"],
            Command::IsReadOnly => &["is_read_only", "isro"],
            Command::LastSnapshot => &["last_snapshot", "lsnp"],
            Command::Leader => &["leader", "lead"],
            Command::Monitor => &["monitor", "mntr"],
            Command::ObserverConnectionStatReset => &["observer_connection_stat_reset", "orst"],
            Command::Ruok => &["ruok"],
            Command::SetTraceMask => &["set_trace_mask", "stmk"],
            Command::ServerStats => &["server_stats", "srvr"],
            Command::Stats => &["stats", "stat"],
            Command::StatReset => &["stat_reset", "srst"],
            Command::Observers => &["observers", "obsr"],
            Command::SystemProperties => &["system_properties", "sysp"],
            Command::VotingView => &["voting_view"],
            Command::Watches => &["watches", "wchc"],
            Command::WatchesByPath => &["watches_by_path", "wchp"],
            Command::WatchSummary => &["watch_summary", "wchs"],
            Command::ZabState => &["zabstate"],
        }
    }

    /// The name `"command"` carries in a reply.
    pub fn primary_name(self) -> &'static str {
        self.names()[0]
    }

    /// The command a name (primary or alias, case-sensitive) stands for.
    pub fn by_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.names().contains(&name))
    }

    /// `CommandBase.isServerRequired`: false for the commands that also run while a quorum
    /// member is not serving.
    pub fn server_required(self) -> bool {
        !matches!(
            self,
            Command::Environment
                | Command::GetTraceMask
                | Command::Monitor
                | Command::SetTraceMask
                | Command::SystemProperties
                | Command::ZabState
        )
    }

    /// The primary names, sorted (the `/commands` page).
    pub fn sorted_primary_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Command::ALL.iter().map(|c| c.primary_name()).collect();
        names.sort_unstable();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 22 aliases of `index.json`, each with the primary name it answers as.
    const ALIASES: [(&str, &str); 22] = [
        ("conf", "configuration"),
        ("config", "configuration"),
        ("cons", "connections"),
        ("env", "environment"),
        ("envi", "environment"),
        ("gtmk", "get_trace_mask"),
        ("icfg", "initial_configuration"),
        ("isro", "is_read_only"),
        ("lsnp", "last_snapshot"),
        ("lead", "leader"),
        ("mntr", "monitor"),
        ("stmk", "set_trace_mask"),
        ("srvr", "server_stats"),
        ("stat", "stats"),
        ("obsr", "observers"),
        ("sysp", "system_properties"),
        ("wchc", "watches"),
        ("wchp", "watches_by_path"),
        ("wchs", "watch_summary"),
        ("crst", "connection_stat_reset"),
        ("orst", "observer_connection_stat_reset"),
        ("srst", "stat_reset"),
    ];

    #[test]
    fn aliases_answer_as_primary() {
        for (alias, primary) in ALIASES {
            let c = Command::by_name(alias).unwrap_or_else(|| panic!("{alias}"));
            assert_eq!(c.primary_name(), primary, "{alias}");
        }
        let aliases: usize = Command::ALL.iter().map(|c| c.names().len() - 1).sum();
        assert_eq!(aliases, 22);
        assert_eq!(Command::by_name("RUOK"), None);
        assert_eq!(Command::by_name(""), None);
    }

    #[test]
    fn every_name_is_unique() {
        let mut all: Vec<&str> = Command::ALL
            .iter()
            .flat_map(|c| c.names().iter().copied())
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(n, 48);
    }
}
