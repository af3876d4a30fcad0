//! The keys ZooKeeper 3.5–3.9 reads: the ones `QuorumPeerConfig` parses itself, and the
//! `zookeeper.<key>` system properties the server reads. Used to warn about misspelled keys,
//! which ZooKeeper silently turns into unused system properties.

/// Keys `QuorumPeerConfig.parseProperties` handles itself (not system properties).
pub(crate) const EXPLICIT_KEYS: &[&str] = &[
    "dataDir",
    "dataLogDir",
    "clientPort",
    "localSessionsEnabled",
    "localSessionsUpgradingEnabled",
    "clientPortAddress",
    "secureClientPort",
    "secureClientPortAddress",
    "observerMasterPort",
    "clientPortListenBacklog",
    "tickTime",
    "maxClientCnxns",
    "minSessionTimeout",
    "maxSessionTimeout",
    "initLimit",
    "syncLimit",
    "connectToLearnerMasterLimit",
    "electionAlg",
    "quorumListenOnAllIPs",
    "peerType",
    "syncEnabled",
    "dynamicConfigFile",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "standaloneEnabled",
    "reconfigEnabled",
    "sslQuorum",
    "portUnification",
    "sslQuorumReloadCertFiles",
    "quorum.auth.enableSasl",
    "quorum.auth.serverRequireSasl",
    "quorum.auth.learnerRequireSasl",
    "quorum.auth.learner.saslLoginContext",
    "quorum.auth.server.saslLoginContext",
    "quorum.auth.kerberos.servicePrincipal",
    "quorum.cnxn.threads.size",
    "jvm.pause.info-threshold.ms",
    "jvm.pause.warn-threshold.ms",
    "jvm.pause.sleep.time.ms",
    "jvm.pause.monitor",
    "metricsProvider.className",
    "multiAddress.enabled",
    "multiAddress.reachabilityCheckTimeoutMs",
    "multiAddress.reachabilityCheckEnabled",
    "oraclePath",
];

/// `zookeeper.<key>` system properties read by the 3.5–3.9 server, in zoo.cfg form.
const SYSTEM_KEYS: &[&str] = &[
    "4lw.commands.whitelist",
    "DigestAuthenticationProvider.digestAlg",
    "DigestAuthenticationProvider.enabled",
    "DigestAuthenticationProvider.superDigest",
    "IPAuthenticationProvider.usexforwardedfor",
    "SASLAuthenticationProvider.superPassword",
    "X509AuthenticationProvider.superUser",
    "admin.commandURL",
    "admin.enableServer",
    "admin.forceHttps",
    "admin.httpVersion",
    "admin.idleTimeout",
    "admin.needClientAuth",
    "admin.portUnification",
    "admin.rateLimiterIntervalInMS",
    "admin.restore.enabled",
    "admin.serverAddress",
    "admin.serverPort",
    "admin.snapshot.enabled",
    "allowSaslFailedClients",
    "audit.enable",
    "audit.impl.class",
    "bitHashCacheSize",
    "client.certReload",
    "client.portUnification",
    "clientTcpKeepAlive",
    "closeSessionTxn.enabled",
    "cnxTimeout",
    "commitLogCount",
    "commitProcessor.maxCommitBatchSize",
    "commitProcessor.maxReadBatchSize",
    "commitProcessor.numWorkerThreads",
    "commitProcessor.shutdownTimeout",
    "connection_throttle_decrease_ratio",
    "connection_throttle_drop_decrease",
    "connection_throttle_drop_increase",
    "connection_throttle_fill_count",
    "connection_throttle_fill_time",
    "connection_throttle_freeze_time",
    "connection_throttle_global_session_weight",
    "connection_throttle_local_session_weight",
    "connection_throttle_renew_session_weight",
    "connection_throttle_tokens",
    "connection_throttle_weight_enabled",
    "datadir.autocreate",
    "db.autocreate",
    "digest.enabled",
    "electionPortBindRetry",
    "emulate353TTLNodes",
    "enableEagerACLCheck",
    "enforce.auth.enabled",
    "enforce.auth.schemes",
    "enforceQuota",
    "ensembleAuthName",
    "extendedTypesEnabled",
    "fastleader.maxNotificationInterval",
    "fastleader.minNotificationInterval",
    "fips-mode",
    "flushDelay",
    "follower.skipLearnerRequestToNextProcessor",
    "forceSnapshotSync",
    "forceSync",
    "forward_learner_requests_to_commit_processor_disabled",
    "fsync.warningthresholdms",
    "globalOutstandingLimit",
    "intBufferStartingSizeBytes",
    "jmx.log4j.disable",
    "jmx.log4j.mbean",
    "jute.maxbuffer.extrasize",
    "kerberos.canonicalizeHostNames",
    "kerberos.minReLoginTimeMs",
    "kerberos.removeHostFromPrincipal",
    "kerberos.removeRealmFromPrincipal",
    "kinit",
    "largeRequestMaxBytes",
    "largeRequestThreshold",
    "leader.ackLoggingFrequency",
    "leader.closeSocketAsync",
    "leader.maxConcurrentDiffSyncs",
    "leader.maxConcurrentSnapSyncs",
    "leader.maxTimeToWaitForEpoch",
    "leaderConnectDelayDuringRetryMs",
    "leaderServes",
    "learner.asyncSending",
    "learner.closeSocketAsync",
    "letAnySaslUserDoX",
    "maxBatchSize",
    "maxCnxns",
    "maxGetChildrenResponseCacheSize",
    "maxInProcessingDeadWatchers",
    "maxResponseCacheSize",
    "maxWriteQueuePollTime",
    "messageTracker.BufferSize",
    "messageTracker.Enabled",
    "netty.advancedFlowControl.enabled",
    "netty.server.earlyDropSecureConnectionHandshakes",
    "netty.server.outstandingHandshake.limit",
    "nio.directBufferBytes",
    "nio.numSelectorThreads",
    "nio.numWorkerThreads",
    "nio.sessionlessCnxnTimeout",
    "nio.shutdownTimeout",
    "observer.election.DelayMs",
    "observer.reconnectDelayMs",
    "observer.syncEnabled",
    "observerMaster.sizeLimit",
    "pathStats.delay",
    "pathStats.enabled",
    "pathStats.initialDelay",
    "pathStats.maxDepth",
    "pathStats.sampleRate",
    "pathStats.slotCapacity",
    "pathStats.slotDuration",
    "pathStats.topPathMax",
    "preAllocSize",
    "quorumCnxnTimeoutMs",
    "request.timeout",
    "request_stale_connection_check",
    "request_stale_latency_check",
    "request_throttle_drop_stale",
    "request_throttle_max_requests",
    "request_throttle_stall_time",
    "request_throttler.shutdownTimeout",
    "requireKerberosConfig",
    "sasl.serverconfig",
    "security.auth_to_local",
    "serializeLastProcessedZxid.enabled",
    "server.principal",
    "server.realm",
    "serverCnxnFactory",
    "sessionRequireClientSASLAuth",
    "skipACL",
    "snapCount",
    "snapSizeLimitInKb",
    "snapshot.compression.method",
    "snapshot.trust.empty",
    "snapshotSizeFactor",
    "superUser",
    "tcpKeepAlive",
    "throttled_op_wait_time",
    "txnLogSizeLimitInKb",
    "watchManagerName",
    "watcherCleanIntervalInSeconds",
    "watcherCleanThreadsNum",
    "watcherCleanThreshold",
];

/// Families of system properties with open-ended names (`ssl.*`, `ssl.quorum.*`,
/// `authProvider.<n>`; zkrs's own `zkrs.*` keys).
const SYSTEM_PREFIXES: &[&str] = &["ssl.", "authProvider.", "zkrs."];

/// JVM properties without the `zookeeper.` prefix, which ZooKeeper therefore ignores in
/// zoo.cfg, but zkrs honours (it has no `-D` flags). Returns the JVM property name.
pub(crate) fn jvm_only_property(key: &str) -> Option<&'static str> {
    match key {
        "jute.maxbuffer" => Some("jute.maxbuffer"),
        "readonlymode.enabled" => Some("readonlymode.enabled"),
        "znode.container.checkIntervalMs" => Some("znode.container.checkIntervalMs"),
        "znode.container.maxPerMinute" => Some("znode.container.maxPerMinute"),
        "znode.container.maxNeverUsedIntervalMs" => Some("znode.container.maxNeverUsedIntervalMs"),
        _ => None,
    }
}

/// Whether ZooKeeper reads `zookeeper.<key>`.
pub(crate) fn is_known_system_key(key: &str) -> bool {
    SYSTEM_KEYS.contains(&key)
        || SYSTEM_PREFIXES.iter().any(|p| key.starts_with(p))
        || jvm_only_property(key).is_some()
}

/// A known key close to the misspelled `key`: the key without a redundant `zookeeper.` prefix,
/// or one within a small edit distance (ignoring case).
pub(crate) fn suggest(key: &str) -> Option<String> {
    if let Some(rest) = key.strip_prefix("zookeeper.") {
        if EXPLICIT_KEYS.contains(&rest) || is_known_system_key(rest) {
            return Some(rest.to_owned());
        }
    }
    // Longer keys are not typos of known ones; this also bounds the edit-distance work.
    if key.len() > 64 {
        return None;
    }
    let lower = key.to_ascii_lowercase();
    let limit = if key.len() < 8 { 1 } else { 2 };
    EXPLICIT_KEYS
        .iter()
        .chain(SYSTEM_KEYS)
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k.to_owned())
}

/// Levenshtein distance over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("autopurge.purgeInteval").as_deref(),
            Some("autopurge.purgeInterval")
        );
        assert_eq!(suggest("ticktime").as_deref(), Some("tickTime"));
        assert_eq!(suggest("zookeeper.snapCount").as_deref(), Some("snapCount"));
        assert_eq!(
            suggest("4lw.commands.whitelists").as_deref(),
            Some("4lw.commands.whitelist")
        );
        assert_eq!(suggest("completelyDifferent"), None);
    }

    #[test]
    fn known() {
        assert!(is_known_system_key("snapCount"));
        assert!(is_known_system_key("ssl.quorum.keyStore.location"));
        assert!(is_known_system_key("authProvider.1"));
        assert!(is_known_system_key("jute.maxbuffer"));
        assert!(!is_known_system_key("autopurge.purgeInteval"));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }
}
