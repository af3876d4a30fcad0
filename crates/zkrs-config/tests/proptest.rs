//! Property tests: no input makes the parser panic, and what zkrs writes it reads back.

use std::collections::BTreeMap;

use proptest::prelude::*;
use zkrs_config::{
    HostPort, LearnerType, Properties, QuorumServer, QuorumVerifier, ServerAddress, ZooCfg,
};

/// Text biased towards the characters the grammars care about.
fn config_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("server.".to_owned()),
        Just("group.".to_owned()),
        Just("weight.".to_owned()),
        Just("version".to_owned()),
        Just("dataDir=/d\n".to_owned()),
        Just("tickTime".to_owned()),
        Just("dynamicConfigFile".to_owned()),
        Just("standaloneEnabled=false\n".to_owned()),
        Just("multiAddress.enabled=true\n".to_owned()),
        Just("\\u".to_owned()),
        Just("\\\n".to_owned()),
        Just("\r\n".to_owned()),
        "[=:;|\\[\\]\\\\#! \t\n\r0-9a-f.%-]{1,6}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z]{1,5}){0,2}",
        "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}",
        any::<std::net::Ipv6Addr>().prop_map(|a| a.to_string()),
    ]
}

fn server(id: u64) -> impl Strategy<Value = QuorumServer> {
    let address = (host(), 1u16..=65535, 1u16..=65535)
        .prop_filter("ports differ", |(_, q, e)| q != e)
        .prop_map(|(host, quorum_port, election_port)| ServerAddress {
            host,
            quorum_port,
            election_port,
        });
    (
        prop::collection::vec(address, 1..3),
        any::<bool>(),
        prop::option::of((host(), any::<u16>())),
    )
        .prop_map(move |(addresses, observer, client)| QuorumServer {
            id,
            addresses,
            learner_type: if observer {
                LearnerType::Observer
            } else {
                LearnerType::Participant
            },
            client_addr: client.map(|(h, p)| HostPort::new(h, p)),
            client_addr_from_static: false,
        })
}

fn membership() -> impl Strategy<Value = QuorumVerifier> {
    // Versions are zxids, never negative: Java writes a negative one as 16 hex digits that its
    // own Long.parseLong(_, 16) rejects, and zkrs reads versions the same way.
    (prop::collection::btree_set(0u64..1000, 0..6), 0..=i64::MAX).prop_flat_map(|(ids, version)| {
        let servers: Vec<_> = ids.into_iter().map(server).collect();
        servers.prop_map(move |servers| {
            let map: BTreeMap<u64, QuorumServer> = servers.into_iter().map(|s| (s.id, s)).collect();
            QuorumVerifier::majority(map, version)
        })
    })
}

/// Escapes `s` the way `Properties.store` would, so that `Properties.load` gives `s` back.
fn escape(s: &str, is_key: bool) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

proptest! {
    #[test]
    fn zoo_cfg_never_panics(text in config_text()) {
        let _ = ZooCfg::parse_str(&text, "fuzz.cfg");
    }

    #[test]
    fn zoo_cfg_never_panics_on_any_string(text in "\\PC*") {
        let _ = ZooCfg::parse_str(&text, "fuzz.cfg");
    }

    #[test]
    fn properties_never_panic(text in config_text()) {
        if let Ok(props) = Properties::parse(&text, "fuzz") {
            for p in props.iter() {
                prop_assert!(p.line >= 1);
                prop_assert_eq!(java_trim(&p.key), p.key.as_str());
            }
        }
    }

    #[test]
    fn server_lines_never_panic(value in "[a-z0-9:;|\\[\\]. %-]{0,40}", multi in any::<bool>()) {
        if let Ok(s) = QuorumServer::parse(1, &value, multi) {
            prop_assert!(!s.addresses.is_empty());
            // What it serializes parses back to the same text.
            let text = s.to_string();
            let again = QuorumServer::parse(1, &text, true)
                .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(again.to_string(), text);
        }
    }

    #[test]
    fn membership_text_round_trips(qv in membership()) {
        let text = qv.to_config_string();
        prop_assert!(!text.ends_with('\n'));
        let parsed = QuorumVerifier::parse(&text, "qv", true)
            .map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(parsed.to_config_string(), text);
        prop_assert_eq!(parsed.version(), qv.version());
        prop_assert_eq!(parsed.voting_count(), qv.voting_count());
    }

    #[test]
    fn escaped_properties_load_back(
        pairs in prop::collection::btree_map("\\PC{1,12}", "\\PC{0,12}", 1..6),
    ) {
        let text: String = pairs
            .iter()
            .map(|(k, v)| format!("{}={}\n", escape(k, true), escape(v, false)))
            .collect();
        let props = Properties::parse(&text, "gen")
            .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        for (k, v) in &pairs {
            let key = java_trim(k);
            // Keys equal after trimming collapse; the later one wins, so compare when unique.
            if pairs.keys().filter(|other| java_trim(other) == key).count() == 1 {
                let got = props.get(key).map(|p| p.value.as_str());
                prop_assert_eq!(got, Some(java_trim(v)), "{:?}", text);
            }
        }
    }
}
