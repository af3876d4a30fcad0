//! Feeds raw bytes to `TxnEntry::decode` (a txn-log record or a PROPOSAL payload).
//!
//! Checks: no panic; when the bytes decode, decode -> encode -> decode gives the same entry and
//! the second encoding equals the first (the encoding is a fixed point after one pass, even when
//! the input was not canonical: non-zero booleans, null vectors, invalid UTF-8); the same for
//! every sub-txn of a multi through `TxnBody::from_sub_txn` / `to_sub_txn`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zkrs_jute::{TxnBody, TxnEntry};

fuzz_target!(|data: &[u8]| {
    let Ok(entry) = TxnEntry::decode(data) else {
        return;
    };
    let bytes = entry.encode();
    let again = TxnEntry::decode(&bytes);
    assert_eq!(again.as_ref(), Ok(&entry), "decode -> encode -> decode");
    assert_eq!(again.unwrap().encode(), bytes, "encoding is stable");

    if let TxnBody::Multi(multi) = &entry.body {
        for txn in &multi.txns {
            let Ok(body) = TxnBody::from_sub_txn(txn) else {
                continue;
            };
            let txn2 = body.to_sub_txn(txn.r#type);
            let body2 = TxnBody::from_sub_txn(&txn2);
            assert_eq!(
                body2.as_ref(),
                Ok(&body),
                "sub-txn decode -> encode -> decode"
            );
            assert_eq!(
                body2.unwrap().to_sub_txn(txn.r#type),
                txn2,
                "sub-txn encoding is stable"
            );
        }
    }
});
