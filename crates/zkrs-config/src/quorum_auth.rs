//! [`QuorumAuthConfig`]: SASL between quorum peers (`quorum.auth.*`, `QuorumAuth`).

/// Quorum peer SASL settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuorumAuthConfig {
    /// `quorum.auth.enableSasl` (false).
    pub enable_sasl: bool,
    /// `quorum.auth.serverRequireSasl` (false); needs `enableSasl` and `learnerRequireSasl`.
    pub server_require_sasl: bool,
    /// `quorum.auth.learnerRequireSasl` (false); needs `enableSasl`.
    pub learner_require_sasl: bool,
    /// `quorum.auth.learner.saslLoginContext` (`QuorumLearner`).
    pub learner_login_context: String,
    /// `quorum.auth.server.saslLoginContext` (`QuorumServer`).
    pub server_login_context: String,
    /// `quorum.auth.kerberos.servicePrincipal` (`zkquorum/localhost`).
    pub kerberos_service_principal: String,
}

impl Default for QuorumAuthConfig {
    fn default() -> QuorumAuthConfig {
        QuorumAuthConfig {
            enable_sasl: false,
            server_require_sasl: false,
            learner_require_sasl: false,
            learner_login_context: "QuorumLearner".to_owned(),
            server_login_context: "QuorumServer".to_owned(),
            kerberos_service_principal: "zkquorum/localhost".to_owned(),
        }
    }
}
