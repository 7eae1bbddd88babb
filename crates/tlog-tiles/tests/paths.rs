//! Tile and entry bundle paths: a table of examples (including the spec's),
//! rejection of malformed paths, and round trips.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use tlog_tiles::{EntryBundleId, TileId, TilePathError};

fn tile(level: u8, index: u64, width: u16) -> TileId {
    TileId::new(level, index, width).unwrap()
}

#[test]
fn formatting_table() {
    let cases = [
        // From c2sp.org/tlog-tiles: index 1234067 is x001/x234/067.
        (tile(0, 1_234_067, 256), "tile/0/x001/x234/067"),
        // From PROTOCOL.md §4.2: index 5 is 005.
        (tile(0, 5, 256), "tile/0/005"),
        (tile(0, 0, 256), "tile/0/000"),
        (tile(0, 0, 1), "tile/0/000.p/1"),
        (tile(1, 5, 17), "tile/1/005.p/17"),
        (tile(2, 999, 255), "tile/2/999.p/255"),
        (tile(3, 1000, 256), "tile/3/x001/000"),
        (tile(10, 1_000_000, 256), "tile/10/x001/x000/000"),
        (tile(63, 1_234_067, 7), "tile/63/x001/x234/067.p/7"),
        (
            tile(0, u64::MAX, 256),
            "tile/0/x018/x446/x744/x073/x709/x551/615",
        ),
    ];
    for (id, path) in cases {
        assert_eq!(id.path(), path);
        assert_eq!(id.to_string(), path);
        assert_eq!(TileId::parse_path(path), Ok(id), "{path}");
    }

    let bundles = [
        (EntryBundleId::full(1_234_067), "tile/entries/x001/x234/067"),
        (EntryBundleId::full(5), "tile/entries/005"),
        (
            EntryBundleId::new(5, 112).unwrap(),
            "tile/entries/005.p/112",
        ),
        (EntryBundleId::new(273, 1).unwrap(), "tile/entries/273.p/1"),
    ];
    for (id, path) in bundles {
        assert_eq!(id.path(), path);
        assert_eq!(EntryBundleId::parse_path(path), Ok(id), "{path}");
    }
}

#[test]
fn malformed_paths_are_rejected() {
    use TilePathError::*;
    let cases: &[(&str, TilePathError)] = &[
        ("", MissingPrefix),
        ("/tile/0/000", MissingPrefix),
        ("tiles/0/000", MissingPrefix),
        ("tile/0", MissingIndex),
        ("tile/0/", MissingIndex),
        ("tile//000", InvalidLevel),
        ("tile/00/000", InvalidLevel),
        ("tile/01/000", InvalidLevel),
        ("tile/+1/000", InvalidLevel),
        ("tile/-1/000", InvalidLevel),
        ("tile/ 1/000", InvalidLevel),
        ("tile/entries/000", InvalidLevel),
        ("tile/64/000", LevelTooHigh { level: 64 }),
        ("tile/100/000", LevelTooHigh { level: 100 }),
        (
            "tile/99999999999999999999999/000",
            LevelTooHigh { level: u64::MAX },
        ),
        ("tile/0/5", InvalidIndexElement { element: 0 }),
        ("tile/0/05", InvalidIndexElement { element: 0 }),
        ("tile/0/0005", InvalidIndexElement { element: 0 }),
        ("tile/0/00a", InvalidIndexElement { element: 0 }),
        ("tile/0/+05", InvalidIndexElement { element: 0 }),
        ("tile/0/x005", InvalidIndexElement { element: 0 }),
        (
            "tile/0/\u{ff10}\u{ff10}5",
            InvalidIndexElement { element: 0 },
        ),
        ("tile/0/001/002", InvalidIndexElement { element: 0 }),
        ("tile/0/x001/x002", InvalidIndexElement { element: 1 }),
        ("tile/0/x001/", InvalidIndexElement { element: 1 }),
        ("tile/0//000", InvalidIndexElement { element: 0 }),
        ("tile/0/x001//000", InvalidIndexElement { element: 1 }),
        ("tile/0/x01/000", InvalidIndexElement { element: 0 }),
        ("tile/0/X001/000", InvalidIndexElement { element: 0 }),
        ("tile/0/000/", InvalidIndexElement { element: 0 }),
        ("tile/0/x000/005", NonCanonicalIndex),
        ("tile/0/x000/x001/005", NonCanonicalIndex),
        ("tile/0/x018/x446/x744/x073/x709/x551/616", IndexOverflow),
        (
            "tile/0/x001/x018/x446/x744/x073/x709/x551/615",
            IndexOverflow,
        ),
        ("tile/0/000.p/", InvalidWidth),
        ("tile/0/000.p/05", InvalidWidth),
        ("tile/0/000.p/+5", InvalidWidth),
        ("tile/0/000.p/5/6", InvalidWidth),
        ("tile/0/000.p/5.p/6", InvalidWidth),
        ("tile/0/000.p/0", WidthOutOfRange { width: 0 }),
        ("tile/0/000.p/256", WidthOutOfRange { width: 256 }),
        ("tile/0/000.p/1000", WidthOutOfRange { width: 1000 }),
        ("tile/0/000.p", InvalidIndexElement { element: 0 }),
        ("tile/0/000.P/5", InvalidIndexElement { element: 0 }),
        ("tile/0/000.q/5", InvalidIndexElement { element: 0 }),
        ("tile/0/000p/5", InvalidIndexElement { element: 0 }),
    ];
    for (path, want) in cases {
        assert_eq!(TileId::parse_path(path), Err(*want), "{path:?}");
    }

    let bundle_cases: &[(&str, TilePathError)] = &[
        ("tile/0/000", MissingPrefix),
        ("tile/entries", MissingPrefix),
        ("tile/entries/", MissingIndex),
        ("tile/entries/5", InvalidIndexElement { element: 0 }),
        ("tile/entries/x000/005", NonCanonicalIndex),
        ("tile/entries/005.p/256", WidthOutOfRange { width: 256 }),
        ("tile/entries/005.p/0", WidthOutOfRange { width: 0 }),
        ("tile/entries/005.p/007", InvalidWidth),
    ];
    for (path, want) in bundle_cases {
        assert_eq!(EntryBundleId::parse_path(path), Err(*want), "{path:?}");
    }
}

#[test]
fn constructors_check_ranges() {
    assert_eq!(
        TileId::new(0, 0, 0),
        Err(TilePathError::WidthOutOfRange { width: 0 })
    );
    assert_eq!(
        TileId::new(0, 0, 257),
        Err(TilePathError::WidthOutOfRange { width: 257 })
    );
    assert_eq!(
        TileId::new(64, 0, 1),
        Err(TilePathError::LevelTooHigh { level: 64 })
    );
    assert!(TileId::new(63, u64::MAX, 256).is_ok());
    assert_eq!(
        EntryBundleId::new(0, 0),
        Err(TilePathError::WidthOutOfRange { width: 0 })
    );
    // An invalid id formats to a path the parser rejects.
    let bad = TileId {
        level: 0,
        index: 1,
        width: 0,
    };
    assert!(TileId::parse_path(&bad.path()).is_err());
    let bad = TileId {
        level: 200,
        index: 1,
        width: 3,
    };
    assert!(TileId::parse_path(&bad.path()).is_err());
}

fn valid_tile() -> impl Strategy<Value = TileId> {
    (0u8..=63, prop_oneof![any::<u64>(), 0u64..5000], 1u16..=256).prop_map(
        |(level, index, width)| TileId {
            level,
            index,
            width,
        },
    )
}

/// Strings that look like tile paths: pieces of valid syntax glued together.
fn path_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("tile/".to_string()),
        Just("entries/".to_string()),
        Just("x".to_string()),
        Just("/".to_string()),
        Just(".p/".to_string()),
        "[0-9]{1,4}",
        "[0-9x./p]{1,3}",
    ];
    proptest::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn tile_paths_round_trip(id in valid_tile()) {
        prop_assert_eq!(TileId::parse_path(&id.path()), Ok(id));
    }

    #[test]
    fn bundle_paths_round_trip(index in any::<u64>(), width in 1u16..=256) {
        let id = EntryBundleId { index, width };
        prop_assert_eq!(EntryBundleId::parse_path(&id.path()), Ok(id));
    }

    /// Whatever the input, parsing never panics, and anything accepted is the
    /// canonical path of what it parsed to.
    #[test]
    fn only_canonical_paths_parse(text in prop_oneof![path_like(), any::<String>()]) {
        if let Ok(id) = TileId::parse_path(&text) {
            prop_assert_eq!(id.path(), text.clone());
        }
        if let Ok(id) = EntryBundleId::parse_path(&text) {
            prop_assert_eq!(id.path(), text);
        }
    }

    /// A valid path with one byte changed either parses to something whose
    /// path is the changed text, or is rejected.
    #[test]
    fn mutated_paths_are_canonical_or_rejected(id in valid_tile(), position in any::<usize>(), byte in prop_oneof![Just(b'x'), Just(b'/'), Just(b'0'), Just(b'.'), Just(b'p'), any::<u8>()]) {
        let mut bytes = id.path().into_bytes();
        let at = position % bytes.len();
        bytes[at] = byte;
        if let Ok(text) = String::from_utf8(bytes)
            && let Ok(parsed) = TileId::parse_path(&text)
        {
            prop_assert_eq!(parsed.path(), text);
        }
    }
}
