//! Session passwords and session ids (`ZooKeeperServer.generatePasswd`,
//! `SessionTrackerImpl.initializeNextSessionId`).
//!
//! A password is not stored anywhere: it is recomputed from the session id, so a session created
//! by a Java server can reconnect to this one and vice versa.

use crate::java::JavaRandom;

/// `ZooKeeperServer.superSecret`.
const SUPER_SECRET: i64 = 0xB341_5C00;

/// The length of every session password.
pub const PASSWORD_LEN: usize = 16;

/// The password of a session: 16 bytes of `new Random(sessionId ^ 0xB3415C00).nextBytes(..)`.
pub fn generate_passwd(session_id: i64) -> [u8; PASSWORD_LEN] {
    let mut r = JavaRandom::new(session_id ^ SUPER_SECRET);
    let mut p = [0u8; PASSWORD_LEN];
    r.next_bytes(&mut p);
    p
}

/// `checkPasswd`: the id is not 0 and the password is the generated one.
pub fn check_passwd(session_id: i64, passwd: &[u8]) -> bool {
    session_id != 0 && passwd == generate_passwd(session_id)
}

/// `initializeNextSessionId(serverId)`: the server id in the high byte, then 40 bits of the
/// monotonic clock in milliseconds, then 16 zero bits. `0x8000000000000000` (the container
/// owner marker) is skipped.
pub fn initialize_next_session_id(mono_ms: u64, server_id: u8) -> i64 {
    let mut next = (((mono_ms as i64) << 24) as u64 >> 8) as i64;
    next |= i64::from(server_id) << 56;
    if next == i64::MIN {
        next += 1;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn password_vectors() {
        // JVM-generated vectors (reference §1.3) and the captured ConnectResponses.
        assert_eq!(
            hex(&generate_passwd(0x0100_0006_b4b7_0000)),
            "5bd6206d4c380a4a310cff2a757f5ac4"
        );
        assert_eq!(
            hex(&generate_passwd(0x0100_0006_b4b7_0001)),
            "6ef71a6dec83e98e264f665649086f91"
        );
        assert_eq!(
            hex(&generate_passwd(0x0001_0000_0000_0000)),
            "f22acd4a97e69d6d20a49bb638eadb38"
        );
        assert_eq!(
            hex(&generate_passwd(0x0100_0006_b4b7_0002)),
            "35942c6d0ca14bc0478630d4ce6d312a"
        );
        assert_eq!(
            hex(&generate_passwd(0x0100_0007_c44b_0000)),
            "370547c0f8d335fa6ddcfc050111d20a"
        );
        // Only the low 48 bits matter.
        assert_eq!(hex(&generate_passwd(1)), "054cc74a37327db215e702e20c73f005");
        assert_eq!(
            hex(&generate_passwd(0x0200_0000_0000_0001)),
            "054cc74a37327db215e702e20c73f005"
        );
    }

    #[test]
    fn check() {
        let p = generate_passwd(77);
        assert!(check_passwd(77, &p));
        assert!(!check_passwd(78, &p));
        assert!(!check_passwd(0, &generate_passwd(0)));
        assert!(!check_passwd(77, &p[..15]));
    }

    #[test]
    fn session_ids() {
        // 0x01000006b4b70000 was created at monotonic 0x6b4b7 ms... shifted: 0x06b4b7 << 16.
        assert_eq!(
            initialize_next_session_id(0x06_b4b7, 1),
            0x0100_0006_b4b7_0000
        );
        // The high byte of the clock is dropped (<< 24 then >>> 8).
        assert_eq!(
            initialize_next_session_id(0xff00_0000_0001, 1),
            0x0100_0000_0001_0000
        );
        assert_eq!(initialize_next_session_id(0, 0x80), i64::MIN + 1);
    }
}
