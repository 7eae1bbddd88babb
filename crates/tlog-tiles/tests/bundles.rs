//! Entry bundles: round trips and hostile inputs.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tlog_tiles::{
    EntryBundleError, MAX_ENTRY_SIZE, decode_entry_bundle, decode_entry_bundle_exact,
    encode_entry_bundle,
};

#[test]
fn limits() {
    let big = vec![7u8; MAX_ENTRY_SIZE];
    let bundle = encode_entry_bundle(&[&big, b"x"]).unwrap();
    assert_eq!(bundle.len(), 2 + MAX_ENTRY_SIZE + 2 + 1);
    assert_eq!(&bundle[..2], &[0xff, 0xff]);
    assert_eq!(decode_entry_bundle(&bundle).unwrap(), vec![&big[..], b"x"]);

    let too_big = vec![0u8; MAX_ENTRY_SIZE + 1];
    assert_eq!(
        encode_entry_bundle(&[b"ok", &too_big]),
        Err(EntryBundleError::EntryTooLarge {
            position: 1,
            len: MAX_ENTRY_SIZE + 1
        })
    );

    let entries: Vec<&[u8]> = vec![b"e"; 256];
    let full = encode_entry_bundle(&entries).unwrap();
    assert_eq!(decode_entry_bundle(&full).unwrap().len(), 256);
    assert_eq!(decode_entry_bundle_exact(&full, 256).unwrap().len(), 256);
    let entries: Vec<&[u8]> = vec![b"e"; 257];
    assert_eq!(
        encode_entry_bundle(&entries),
        Err(EntryBundleError::TooManyEntries)
    );
    let mut too_many = full.clone();
    too_many.extend_from_slice(&[0, 0]);
    assert_eq!(
        decode_entry_bundle(&too_many),
        Err(EntryBundleError::TooManyEntries)
    );
    assert_eq!(
        decode_entry_bundle_exact(&too_many, 256),
        Err(EntryBundleError::TrailingBytes { count: 2 })
    );

    assert_eq!(encode_entry_bundle(&[]), Err(EntryBundleError::Empty));
    assert_eq!(decode_entry_bundle(&[]), Err(EntryBundleError::Empty));
    assert_eq!(
        decode_entry_bundle_exact(&[], 0),
        Err(EntryBundleError::Empty)
    );
    assert_eq!(
        decode_entry_bundle_exact(&[], 1),
        Err(EntryBundleError::WrongEntryCount { got: 0, want: 1 })
    );
}

#[test]
fn hostile_inputs() {
    use EntryBundleError::*;
    let cases: &[(&[u8], EntryBundleError)] = &[
        (&[0], Truncated { offset: 0 }),
        (&[0, 1], Truncated { offset: 0 }),
        (&[0, 3, b'a', b'b'], Truncated { offset: 0 }),
        (&[0xff, 0xff, 1, 2, 3], Truncated { offset: 0 }),
        (&[0, 1, b'a', 0], Truncated { offset: 3 }),
        (&[0, 1, b'a', 0, 2, b'b'], Truncated { offset: 3 }),
    ];
    for (bytes, want) in cases {
        assert_eq!(decode_entry_bundle(bytes), Err(*want), "{bytes:?}");
    }
    let two = encode_entry_bundle(&[b"a", b"b"]).unwrap();
    assert_eq!(
        decode_entry_bundle_exact(&two, 1),
        Err(TrailingBytes { count: 3 })
    );
    assert_eq!(
        decode_entry_bundle_exact(&two, 3),
        Err(WrongEntryCount { got: 2, want: 3 })
    );
    assert_eq!(
        decode_entry_bundle_exact(&two, 2).unwrap(),
        vec![b"a", b"b"]
    );
}

proptest! {
    #[test]
    fn round_trip(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..=256)) {
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let bundle = encode_entry_bundle(&refs).unwrap();
        prop_assert_eq!(bundle.len(), entries.iter().map(|e| e.len() + 2).sum::<usize>());
        prop_assert_eq!(decode_entry_bundle(&bundle).unwrap(), refs.clone());
        prop_assert_eq!(decode_entry_bundle_exact(&bundle, refs.len() as u16).unwrap(), refs.clone());
        // Every strict prefix is rejected: either truncated inside an entry, or
        // (at an entry boundary) too few entries for the exact decoder.
        let cut = bundle.len() / 2;
        if cut > 0 {
            prop_assert!(decode_entry_bundle_exact(&bundle[..cut], refs.len() as u16).is_err());
        }
    }

    /// Random bytes never panic the decoder, and anything it accepts
    /// re-encodes to the same bytes.
    #[test]
    fn decoding_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        if let Ok(entries) = decode_entry_bundle(&bytes) {
            prop_assert!(!entries.is_empty() && entries.len() <= 256);
            prop_assert_eq!(encode_entry_bundle(&entries).unwrap(), bytes);
        }
    }
}
