//! tlog-core
