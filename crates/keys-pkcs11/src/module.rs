//! One initialized [`Pkcs11`] context per module per process.
//!
//! PKCS#11 state is per process, not per handle: `C_Initialize` may be called once (a second
//! call returns `CKR_CRYPTOKI_ALREADY_INITIALIZED`), `C_Finalize` ends every session of every
//! user of the module, and login state is shared by all sessions on a token. So the CA's and the
//! TSA's signers, if they use the same module, must share one context, and nobody may finalize
//! it while another signer is alive. This registry hands out clones of one context per module
//! path and keeps it (and the loaded library) until the process exits; it never finalizes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};

use crate::error::Pkcs11Error;

static MODULES: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();

/// The process-wide context for the module at `path`, loading and initializing it on first use
/// (with `CKF_OS_LOCKING_OK`: the module may be called from several threads).
pub(crate) fn context(path: &Path) -> Result<Pkcs11, Pkcs11Error> {
    let load_err = |source| Pkcs11Error::ModuleLoad {
        path: path.to_owned(),
        source,
    };
    // One entry per file, however it is spelled; a missing file fails here with a clear error.
    let canonical = std::fs::canonicalize(path).map_err(|source| Pkcs11Error::ModuleNotFound {
        path: path.to_owned(),
        source,
    })?;
    let modules = MODULES.get_or_init(|| Mutex::new(HashMap::new()));
    // Held across load + initialize so two threads never initialize the same module twice.
    let mut modules = modules.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(ctx) = modules.get(&canonical) {
        return Ok(ctx.clone());
    }
    let ctx = Pkcs11::new(&canonical).map_err(load_err)?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Something else in the process (another library) initialized it first: share it.
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(source) => {
            return Err(Pkcs11Error::ModuleInit {
                path: path.to_owned(),
                source,
            });
        }
    }
    modules.insert(canonical, ctx.clone());
    Ok(ctx)
}
