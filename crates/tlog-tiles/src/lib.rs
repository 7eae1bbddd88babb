//! tlog-tiles
