//! [`Notification`]: the payload of an election-port message (`FastLeaderElection.buildMsg`
//! and the parsing in `FastLeaderElection.Messenger.WorkerReceiver`).
//!
//! Layout (big-endian), version 2, which every 3.5+ server sends:
//!
//! ```text
//! int  state          ServerState ordinal
//! long leader         proposed leader
//! long zxid           proposed leader's last zxid
//! long electionEpoch  sender's logicalclock
//! long peerEpoch      proposed leader's epoch
//! int  version        2
//! int  configLength
//! byte config[configLength]   QuorumVerifier text (server.N lines, version=<hex>)
//! ```
//!
//! Older senders are accepted the way Java accepts them: exactly 28 bytes carries no
//! peerEpoch (it is the zxid's epoch), exactly 40 bytes carries no version, and a config is
//! read only when the version is above 1. The length prefix of the election-port framing is
//! not part of this payload.

use bytes::Bytes;
use thiserror::Error;
use zkrs_jute::Zxid;

use super::vote::{ServerState, Vote};

/// `Notification.CURRENTVERSION`: the format version this crate sends.
pub const CURRENT_VERSION: i32 = 2;

/// Shortest payload Java accepts: state, leader, zxid and electionEpoch.
pub const MIN_LENGTH: usize = 28;

/// Length of the pre-3.4.6 payload that has a peerEpoch but no version.
pub const NO_VERSION_LENGTH: usize = 40;

/// Length of a version-2 payload up to and including `configLength`.
pub const HEADER_LENGTH: usize = 44;

/// Why a payload is not a notification. Java logs and skips such messages.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NotificationError {
    /// Fewer than 28 bytes.
    #[error("election notification of {len} bytes is shorter than {MIN_LENGTH} bytes")]
    TooShort {
        /// The payload length.
        len: usize,
    },
    /// The payload ends inside a field.
    #[error("election notification of {len} bytes ends inside its {field} field")]
    Truncated {
        /// The payload length.
        len: usize,
        /// The field being read (Java name).
        field: &'static str,
    },
    /// `configLength` is negative or larger than the bytes that follow it.
    #[error(
        "election notification config length {config_length} does not fit the \
         {remaining} remaining bytes"
    )]
    InvalidConfigLength {
        /// The length read from the payload.
        config_length: i32,
        /// The bytes left after it.
        remaining: usize,
    },
    /// The state is not a `ServerState` ordinal.
    #[error("election notification has unknown server state {0}")]
    UnknownState(i32),
}

/// One election notification: a vote and the sender's state and round.
///
/// The sender's server id is not in the payload; it is the id of the election connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Notification {
    /// The sender's state.
    pub state: ServerState,
    /// Proposed leader id, raw (`i64::MIN` in an observer's initial vote).
    pub leader: i64,
    /// The proposed leader's zxid.
    pub zxid: Zxid,
    /// The sender's round (`logicalclock`), or a serving peer's vote's round.
    pub election_epoch: i64,
    /// The proposed leader's epoch.
    pub peer_epoch: i64,
    /// The format version as received: 0 for the 28- and 40-byte forms. [`Notification::encode`]
    /// always writes [`CURRENT_VERSION`], whatever this holds.
    pub version: i32,
    /// The sender's `QuorumVerifier` text, present when the version is above 1. `None` is
    /// encoded as an empty config.
    pub config: Option<Bytes>,
}

impl Notification {
    /// A version-2 notification reporting `vote` (its leader, zxid and peer epoch) with the
    /// given state and election epoch.
    pub fn from_vote(
        state: ServerState,
        vote: &Vote,
        election_epoch: i64,
        config: Option<Bytes>,
    ) -> Notification {
        Notification {
            state,
            leader: vote.leader,
            zxid: vote.zxid,
            election_epoch,
            peer_epoch: vote.peer_epoch,
            version: CURRENT_VERSION,
            config,
        }
    }

    /// The vote this notification carries, with its state and format version (Java's
    /// six-argument `Vote` built from a notification).
    pub fn vote(&self) -> Vote {
        Vote {
            version: self.version,
            leader: self.leader,
            zxid: self.zxid,
            election_epoch: self.election_epoch,
            peer_epoch: self.peer_epoch,
            state: self.state,
        }
    }

    /// The config text, decoded as UTF-8 with replacement like Java's `new String(b, UTF_8)`.
    pub fn config_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.config.as_ref().map(|c| String::from_utf8_lossy(c))
    }

    /// The length of [`Notification::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        HEADER_LENGTH + self.config_bytes().len()
    }

    fn config_bytes(&self) -> &[u8] {
        let config = self.config.as_deref().unwrap_or_default();
        // A config cannot exceed i32::MAX bytes on the wire; a real one is a few hundred bytes.
        &config[..config.len().min(i32::MAX as usize)]
    }

    /// The version-2 payload (`buildMsg`), without the election-port length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let config = self.config_bytes();
        let mut out = Vec::with_capacity(HEADER_LENGTH + config.len());
        out.extend_from_slice(&self.state.ordinal().to_be_bytes());
        out.extend_from_slice(&self.leader.to_be_bytes());
        out.extend_from_slice(&self.zxid.raw().to_be_bytes());
        out.extend_from_slice(&self.election_epoch.to_be_bytes());
        out.extend_from_slice(&self.peer_epoch.to_be_bytes());
        out.extend_from_slice(&CURRENT_VERSION.to_be_bytes());
        // Bounded by config_bytes above.
        let config_length = i32::try_from(config.len()).unwrap_or(i32::MAX);
        out.extend_from_slice(&config_length.to_be_bytes());
        out.extend_from_slice(config);
        out
    }

    /// Parses a payload of any format version, as `WorkerReceiver` does. Bytes after the
    /// config (or after the version when there is no config) are ignored, as in Java.
    pub fn decode(payload: &[u8]) -> Result<Notification, NotificationError> {
        let len = payload.len();
        if len < MIN_LENGTH {
            return Err(NotificationError::TooShort { len });
        }
        let mut r = Reader { buf: payload, len };
        let state_ordinal = r.int("state")?;
        let leader = r.long("leader")?;
        let zxid = Zxid(r.long("zxid")?);
        let election_epoch = r.long("electionEpoch")?;
        let mut version = 0;
        let mut config = None;
        let peer_epoch = if len == MIN_LENGTH {
            zxid.epoch()
        } else {
            let peer_epoch = r.long("peerEpoch")?;
            if len != NO_VERSION_LENGTH {
                version = r.int("version")?;
            }
            peer_epoch
        };
        if version > 1 {
            let config_length = r.int("configLength")?;
            let remaining = r.buf.len();
            let n = usize::try_from(config_length)
                .ok()
                .filter(|&n| n <= remaining)
                .ok_or(NotificationError::InvalidConfigLength {
                    config_length,
                    remaining,
                })?;
            config = Some(Bytes::copy_from_slice(&r.buf[..n]));
        }
        let state = ServerState::from_ordinal(state_ordinal)
            .ok_or(NotificationError::UnknownState(state_ordinal))?;
        Ok(Notification {
            state,
            leader,
            zxid,
            election_epoch,
            peer_epoch,
            version,
            config,
        })
    }
}

/// A big-endian cursor that reports the field it ran out in.
struct Reader<'a> {
    buf: &'a [u8],
    len: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], NotificationError> {
        let len = self.len;
        let (head, rest) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or(NotificationError::Truncated { len, field })?;
        self.buf = rest;
        Ok(*head)
    }

    fn int(&mut self, field: &'static str) -> Result<i32, NotificationError> {
        self.take::<4>(field).map(i32::from_be_bytes)
    }

    fn long(&mut self, field: &'static str) -> Result<i64, NotificationError> {
        self.take::<8>(field).map(i64::from_be_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The config of the three-server 3.8.0 ensemble in `captures/fake3_out.txt`.
    const CAPTURED_CONFIG: &str = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
        server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
        server.3=127.0.0.1:42890:43890:participant;127.0.0.1:42183\n\
        version=0";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|e| panic!("{e}")))
            .collect()
    }

    /// A captured 230-byte notification: the 44 logged header bytes, then the config.
    fn captured(head_hex: &str) -> Vec<u8> {
        let mut b = unhex(head_hex);
        b.extend_from_slice(CAPTURED_CONFIG.as_bytes());
        b
    }

    const LOOKING_HEAD: &str = "00000000000000000000000200000000000000000000000000000001\
                                000000000000000000000002000000ba";
    const FOLLOWING_HEAD: &str = "00000001000000000000000200000000000000000000000000000001\
                                  000000000000000100000002000000ba";
    const LEADING_HEAD: &str = "00000002000000000000000200000000000000000000000000000001\
                                000000000000000100000002000000ba";

    #[test]
    fn decodes_captured_3_8_0_notifications() {
        let cases = [
            (LOOKING_HEAD, ServerState::Looking, 0),
            (FOLLOWING_HEAD, ServerState::Following, 1),
            (LEADING_HEAD, ServerState::Leading, 1),
        ];
        for (head, state, peer_epoch) in cases {
            let bytes = captured(head);
            assert_eq!(bytes.len(), 230);
            let n = Notification::decode(&bytes).expect("captured notification");
            assert_eq!(n.state, state);
            assert_eq!(n.leader, 2);
            assert_eq!(n.zxid, Zxid(0));
            assert_eq!(n.election_epoch, 1);
            assert_eq!(n.peer_epoch, peer_epoch);
            assert_eq!(n.version, 2);
            assert_eq!(n.config_str().as_deref(), Some(CAPTURED_CONFIG));
            // Byte-identical re-encoding.
            assert_eq!(n.encode(), bytes);
            assert_eq!(n.encoded_len(), 230);
        }
    }

    #[test]
    fn encodes_like_build_msg() {
        let vote = Vote::new(3, Zxid::new(1, 7), -1, 1);
        let n = Notification::from_vote(ServerState::Looking, &vote, 4, None);
        let b = n.encode();
        assert_eq!(b.len(), 44);
        assert_eq!(
            b,
            unhex(
                "000000000000000000000003000000010000000700000000000000040000000000000001\
                 0000000200000000"
            )
        );
        let back = Notification::decode(&b).expect("decodes");
        assert_eq!(back.config.as_deref(), Some(&b""[..]));
        assert_eq!(
            back.vote(),
            Vote {
                version: 2,
                election_epoch: 4,
                ..vote
            }
        );
    }

    #[test]
    fn backward_compatible_lengths() {
        let full = captured(FOLLOWING_HEAD);
        // 28 bytes: peerEpoch from the zxid, no version, no config.
        let mut b28 = full[..28].to_vec();
        b28[12..20].copy_from_slice(&Zxid::new(5, 3).raw().to_be_bytes());
        let n = Notification::decode(&b28).expect("28 bytes");
        assert_eq!((n.peer_epoch, n.version, n.config), (5, 0, None));
        // 40 bytes: peerEpoch, and the trailing int is not read as a version.
        let n = Notification::decode(&full[..40]).expect("40 bytes");
        assert_eq!((n.peer_epoch, n.version, n.config), (1, 0, None));
        // Version 1 with 44 bytes: no config is read.
        let mut v1 = full[..44].to_vec();
        v1[36..40].copy_from_slice(&1i32.to_be_bytes());
        let n = Notification::decode(&v1).expect("version 1");
        assert_eq!((n.version, n.config), (1, None));
        // 41..43 bytes with version 1 are fine (Java reads only the version int).
        assert!(Notification::decode(&v1[..41]).is_ok());
        // Trailing bytes after the config are ignored.
        let mut longer = full.clone();
        longer.extend_from_slice(b"junk");
        assert_eq!(Notification::decode(&longer), Notification::decode(&full));
    }

    #[test]
    fn rejects_short_and_malformed() {
        let full = captured(LEADING_HEAD);
        assert_eq!(
            Notification::decode(&full[..27]),
            Err(NotificationError::TooShort { len: 27 })
        );
        assert_eq!(
            Notification::decode(&full[..30]),
            Err(NotificationError::Truncated {
                len: 30,
                field: "peerEpoch"
            })
        );
        assert_eq!(
            Notification::decode(&full[..38]),
            Err(NotificationError::Truncated {
                len: 38,
                field: "version"
            })
        );
        assert_eq!(
            Notification::decode(&full[..42]),
            Err(NotificationError::Truncated {
                len: 42,
                field: "configLength"
            })
        );
        assert_eq!(
            Notification::decode(&full[..229]),
            Err(NotificationError::InvalidConfigLength {
                config_length: 186,
                remaining: 185
            })
        );
        let mut neg = full.clone();
        neg[40..44].copy_from_slice(&(-1i32).to_be_bytes());
        assert_eq!(
            Notification::decode(&neg),
            Err(NotificationError::InvalidConfigLength {
                config_length: -1,
                remaining: 186
            })
        );
        let mut huge = full.clone();
        huge[40..44].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(
            Notification::decode(&huge),
            Err(NotificationError::InvalidConfigLength { .. })
        ));
        let mut bad_state = full;
        bad_state[0..4].copy_from_slice(&4i32.to_be_bytes());
        assert_eq!(
            Notification::decode(&bad_state),
            Err(NotificationError::UnknownState(4))
        );
    }

    fn any_state() -> impl Strategy<Value = ServerState> {
        (0i32..4).prop_map(|o| ServerState::from_ordinal(o).unwrap_or(ServerState::Looking))
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Notification::decode(&bytes);
        }

        #[test]
        fn decode_of_prefixes_never_panics(
            cut in 0usize..231,
            flip in any::<(usize, u8)>(),
        ) {
            let mut b = captured(LOOKING_HEAD);
            let i = flip.0 % b.len();
            b[i] ^= flip.1;
            let _ = Notification::decode(&b[..cut.min(b.len())]);
        }

        #[test]
        fn round_trip(
            state in any_state(),
            leader in any::<i64>(),
            zxid in any::<i64>(),
            election_epoch in any::<i64>(),
            peer_epoch in any::<i64>(),
            config in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let n = Notification {
                state,
                leader,
                zxid: Zxid(zxid),
                election_epoch,
                peer_epoch,
                version: CURRENT_VERSION,
                config: Some(Bytes::from(config)),
            };
            let b = n.encode();
            prop_assert_eq!(b.len(), n.encoded_len());
            prop_assert_eq!(Notification::decode(&b), Ok(n));
        }
    }
}
