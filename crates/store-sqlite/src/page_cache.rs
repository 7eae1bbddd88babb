//! The one module in the workspace allowed `unsafe` code: a thin wrapper around SQLite's built-in
//! page cache (`pcache1`), installed once per process by [`install`] before the first SQLite
//! connection opens (every `SqliteStore` open calls it first).
//!
//! **Why.** When a B-tree page splits, SQLite's `balance_nonroot` renumbers sibling pages through a
//! temporary page number: the lock-byte page, at byte offset 1 GiB (page 1,048,577 with 1 KiB
//! pages). `pcache1` remembers the largest page number it has seen, and at every commit
//! `pager_end_transaction` asks the cache to drop pages beyond the end of the database. While the
//! database is smaller than 1 GiB, that remembered number lies far beyond the end, so `pcache1`
//! walks its *entire* hash table and every cached page at every commit: with the log's writer
//! cache (128 MiB then) that walk was 22–24 % of the server's CPU under `cairn bench rekor` (a `perf`
//! profile; `perf probe` on `pcache1TruncateUnsafe` showed `iMaxKey = 0x100001` at every commit).
//! Random-key index inserts (leaf hashes, search keys) split pages constantly, so every Cairn log
//! hit it until its file passed 1 GiB.
//!
//! **What.** Every method is passed through to `pcache1` unchanged, except that the wrapper keeps
//! its own bound on the largest page number that may be cached, raised by every fetch that may
//! create a page and by every re-key *except* the re-key to the lock-byte page (which
//! `balance_nonroot` always moves on again before it returns). A truncate at or below that bound
//! goes to `pcache1` as before; one above it has nothing to drop and returns at once. So the cache
//! behaves exactly as before; only the empty walk is skipped.
//!
//! `install()` must run before SQLite initialises (SQLite refuses page-cache changes afterwards);
//! if it cannot, it returns an error and SQLite keeps its own cache: slower, equally correct.
//! `stats()` counts truncates forwarded and skipped, for tests and diagnostics.

// The workspace denies `unsafe`; this module holds the FFI that cannot avoid it, and the tidy
// test (`crates/xtask/tests/tidy.rs`) checks that nothing else lifts the ban.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_uint};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use libsqlite3_sys as ffi;

/// SQLite's lock-byte offset (`PENDING_BYTE`); only SQLite's own test harness ever moves it.
const PENDING_BYTE: u32 = 0x4000_0000;

/// Why [`install`] could not put the wrapper in place. SQLite then keeps its own page cache.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallError {
    /// SQLite was already initialised (a connection was opened first), so it refuses page-cache
    /// changes; `code` is what `sqlite3_config` returned.
    TooLate {
        /// The SQLite result code.
        code: i32,
    },
    /// SQLite reported no default page cache to wrap.
    NoDefaultCache,
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstallError::TooLate { code } => write!(
                f,
                "SQLite was initialised before the page-cache wrapper could be installed \
                 (sqlite3_config returned {code})"
            ),
            InstallError::NoDefaultCache => f.write_str("SQLite has no default page cache"),
        }
    }
}

impl std::error::Error for InstallError {}

/// Install the wrapper for the whole process. Idempotent: later calls return the first result.
///
/// Call it before anything in the process opens a SQLite connection, and never concurrently with
/// other SQLite calls (`sqlite3_config` is not thread-safe); `store-sqlite` calls it first thing
/// in every open, which covers every connection Cairn makes.
pub fn install() -> Result<(), InstallError> {
    static RESULT: OnceLock<Result<(), InstallError>> = OnceLock::new();
    RESULT.get_or_init(install_once).clone()
}

/// Truncates seen by wrapped caches since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Truncates passed on to SQLite's cache (something at or beyond the limit may be cached).
    pub forwarded: u64,
    /// Truncates answered at once (nothing at or beyond the limit can be cached).
    pub skipped: u64,
}

static FORWARDED: AtomicU64 = AtomicU64::new(0);
static SKIPPED: AtomicU64 = AtomicU64::new(0);

/// Counts of forwarded and skipped truncates, over all wrapped caches of the process.
pub fn stats() -> Stats {
    Stats {
        forwarded: FORWARDED.load(Ordering::Relaxed),
        skipped: SKIPPED.load(Ordering::Relaxed),
    }
}

/// SQLite's own methods, captured once before ours replace them.
struct SqliteMethods(ffi::sqlite3_pcache_methods2);

// SAFETY: the struct holds function pointers and SQLite's `pArg`, which SQLite itself shares
// between all threads; it is written once (in `install_once`) and only read afterwards.
unsafe impl Send for SqliteMethods {}
unsafe impl Sync for SqliteMethods {}

static DEFAULT: OnceLock<SqliteMethods> = OnceLock::new();

fn default_methods() -> &'static ffi::sqlite3_pcache_methods2 {
    // Our methods are only reachable after `install_once` has set DEFAULT.
    &DEFAULT
        .get()
        .expect("page-cache methods called before install")
        .0
}

fn install_once() -> Result<(), InstallError> {
    // SAFETY: an all-zero `sqlite3_pcache_methods2` is valid (null pointers, `None` functions);
    // SQLite fills it in.
    let mut current: ffi::sqlite3_pcache_methods2 = unsafe { std::mem::zeroed() };
    // SAFETY: GETPCACHE2 takes one `sqlite3_pcache_methods2*` and copies into it.
    let code = unsafe {
        ffi::sqlite3_config(
            ffi::SQLITE_CONFIG_GETPCACHE2,
            &mut current as *mut ffi::sqlite3_pcache_methods2,
        )
    };
    if code != ffi::SQLITE_OK {
        return Err(InstallError::TooLate { code });
    }
    if current.xCreate.is_none()
        || current.xFetch.is_none()
        || current.xTruncate.is_none()
        || current.xRekey.is_none()
    {
        return Err(InstallError::NoDefaultCache);
    }
    let _ = DEFAULT.set(SqliteMethods(current));
    let wrapper = ffi::sqlite3_pcache_methods2 {
        iVersion: 1,
        pArg: std::ptr::null_mut(),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        xCreate: Some(x_create),
        xCachesize: Some(x_cachesize),
        xPagecount: Some(x_pagecount),
        xFetch: Some(x_fetch),
        xUnpin: Some(x_unpin),
        xRekey: Some(x_rekey),
        xTruncate: Some(x_truncate),
        xDestroy: Some(x_destroy),
        xShrink: Some(x_shrink),
    };
    // SAFETY: PCACHE2 takes one `sqlite3_pcache_methods2*` and copies the struct.
    let code = unsafe {
        ffi::sqlite3_config(
            ffi::SQLITE_CONFIG_PCACHE2,
            &wrapper as *const ffi::sqlite3_pcache_methods2,
        )
    };
    if code != ffi::SQLITE_OK {
        return Err(InstallError::TooLate { code });
    }
    Ok(())
}

/// One wrapped cache: SQLite's cache plus our bound on the page numbers it may hold.
struct Guarded {
    inner: *mut ffi::sqlite3_pcache,
    /// No page numbered above this can be in `inner` (apart from `temp_key`, transiently).
    max_key: AtomicU32,
    /// The lock-byte page number for this cache's page size: `balance_nonroot`'s temporary key.
    temp_key: u32,
}

/// # Safety
/// `cache` must be a pointer returned by [`x_create`] and not yet destroyed.
unsafe fn guarded<'a>(cache: *mut ffi::sqlite3_pcache) -> &'a Guarded {
    // SAFETY: guaranteed by the caller: SQLite hands back exactly what `x_create` returned.
    unsafe { &*(cache as *const Guarded) }
}

unsafe extern "C" fn x_init(_arg: *mut std::ffi::c_void) -> c_int {
    let methods = default_methods();
    match methods.xInit {
        // SAFETY: SQLite's own init with SQLite's own argument.
        Some(init) => unsafe { init(methods.pArg) },
        None => ffi::SQLITE_OK,
    }
}

unsafe extern "C" fn x_shutdown(_arg: *mut std::ffi::c_void) {
    let methods = default_methods();
    if let Some(shutdown) = methods.xShutdown {
        // SAFETY: SQLite's own shutdown with SQLite's own argument.
        unsafe { shutdown(methods.pArg) }
    }
}

unsafe extern "C" fn x_create(
    page_size: c_int,
    extra: c_int,
    purgeable: c_int,
) -> *mut ffi::sqlite3_pcache {
    let Some(create) = default_methods().xCreate else {
        return std::ptr::null_mut();
    };
    // SAFETY: the arguments are SQLite's, passed through unchanged.
    let inner = unsafe { create(page_size, extra, purgeable) };
    if inner.is_null() {
        return std::ptr::null_mut();
    }
    let temp_key = u32::try_from(page_size)
        .ok()
        .filter(|size| *size > 0)
        .map_or(0, |size| PENDING_BYTE / size + 1);
    let guarded = Box::new(Guarded {
        inner,
        max_key: AtomicU32::new(0),
        temp_key,
    });
    Box::into_raw(guarded).cast()
}

unsafe extern "C" fn x_cachesize(cache: *mut ffi::sqlite3_pcache, pages: c_int) {
    if let Some(f) = default_methods().xCachesize {
        // SAFETY: `cache` came from `x_create`; its inner cache is SQLite's.
        unsafe { f(guarded(cache).inner, pages) }
    }
}

unsafe extern "C" fn x_pagecount(cache: *mut ffi::sqlite3_pcache) -> c_int {
    match default_methods().xPagecount {
        // SAFETY: as in `x_cachesize`.
        Some(f) => unsafe { f(guarded(cache).inner) },
        None => 0,
    }
}

unsafe extern "C" fn x_fetch(
    cache: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    let Some(fetch) = default_methods().xFetch else {
        return std::ptr::null_mut();
    };
    // SAFETY: as in `x_cachesize`.
    let guarded = unsafe { guarded(cache) };
    if create != 0 {
        // Raised before the call: a page may exist from the moment SQLite's fetch returns.
        guarded.max_key.fetch_max(key, Ordering::Relaxed);
    }
    // SAFETY: SQLite's fetch on SQLite's cache with SQLite's arguments.
    unsafe { fetch(guarded.inner, key, create) }
}

unsafe extern "C" fn x_unpin(
    cache: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    discard: c_int,
) {
    if let Some(unpin) = default_methods().xUnpin {
        // SAFETY: as in `x_fetch`.
        unsafe { unpin(guarded(cache).inner, page, discard) }
    }
}

unsafe extern "C" fn x_rekey(
    cache: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old_key: c_uint,
    new_key: c_uint,
) {
    let Some(rekey) = default_methods().xRekey else {
        return;
    };
    // SAFETY: as in `x_cachesize`.
    let guarded = unsafe { guarded(cache) };
    // The lock-byte page is never a real page: `balance_nonroot` parks a page there and moves it
    // to its final number before returning, so it cannot be cached when a truncate comes.
    if new_key != guarded.temp_key {
        guarded.max_key.fetch_max(new_key, Ordering::Relaxed);
    }
    // SAFETY: as in `x_fetch`.
    unsafe { rekey(guarded.inner, page, old_key, new_key) }
}

unsafe extern "C" fn x_truncate(cache: *mut ffi::sqlite3_pcache, limit: c_uint) {
    let Some(truncate) = default_methods().xTruncate else {
        return;
    };
    // SAFETY: as in `x_cachesize`.
    let guarded = unsafe { guarded(cache) };
    // Drop pages numbered `limit` or more: none can exist when every page is below `limit`.
    if guarded.max_key.load(Ordering::Relaxed) < limit {
        SKIPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    FORWARDED.fetch_add(1, Ordering::Relaxed);
    // SAFETY: as in `x_fetch`.
    unsafe { truncate(guarded.inner, limit) };
    guarded
        .max_key
        .store(limit.saturating_sub(1), Ordering::Relaxed);
}

unsafe extern "C" fn x_destroy(cache: *mut ffi::sqlite3_pcache) {
    // SAFETY: `cache` came from `x_create` (a leaked `Box<Guarded>`) and SQLite destroys it once.
    let guarded = unsafe { Box::from_raw(cache as *mut Guarded) };
    if let Some(destroy) = default_methods().xDestroy {
        // SAFETY: SQLite's destroy on SQLite's cache, once.
        unsafe { destroy(guarded.inner) }
    }
}

unsafe extern "C" fn x_shrink(cache: *mut ffi::sqlite3_pcache) {
    if let Some(shrink) = default_methods().xShrink {
        // SAFETY: as in `x_cachesize`.
        unsafe { shrink(guarded(cache).inner) }
    }
}
