//! Private keys kept as PEM files in the data directory: loaded when present, generated (and
//! written owner-only) on first start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keys::{Signer, SigningAlgorithm, SoftwareSigner};

/// Why a key file could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file does not hold a usable private key.
    #[error("key file {path}: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with the key.
        source: keys::KeyError,
    },
    /// The file holds a key of another algorithm than the one configured.
    #[error("key file {path} holds a {found} key, but {wanted} is required")]
    WrongAlgorithm {
        /// The file.
        path: PathBuf,
        /// The algorithm found.
        found: SigningAlgorithm,
        /// The algorithm required.
        wanted: SigningAlgorithm,
    },
}

/// What [`load_or_generate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The key was read from an existing file.
    Loaded,
    /// A new key was generated and written.
    Generated,
}

/// Load the PEM private key at `path`, or generate one of `algorithm` and write it there
/// (mode 0600, parent directories 0700) when the file does not exist. An existing key of another
/// algorithm is an error rather than being replaced.
pub fn load_or_generate(
    path: &Path,
    algorithm: SigningAlgorithm,
) -> Result<(Arc<dyn Signer>, KeyOrigin), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let signer = SoftwareSigner::from_pem(&text).map_err(|source| KeyFileError::Key {
                path: path.to_owned(),
                source,
            })?;
            if signer.algorithm() != algorithm {
                return Err(KeyFileError::WrongAlgorithm {
                    path: path.to_owned(),
                    found: signer.algorithm(),
                    wanted: algorithm,
                });
            }
            Ok((Arc::new(signer), KeyOrigin::Loaded))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer =
                SoftwareSigner::generate(algorithm).map_err(|source| KeyFileError::Key {
                    path: path.to_owned(),
                    source,
                })?;
            if let Some(parent) = path.parent() {
                create_private_dir(parent).map_err(io)?;
            }
            match publish_private(path, signer.to_pkcs8_pem().as_bytes()) {
                Ok(()) => Ok((Arc::new(signer), KeyOrigin::Generated)),
                // Another process published its key first: use that one.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let (signer, _) = load_or_generate(path, algorithm)?;
                    Ok((signer, KeyOrigin::Loaded))
                }
                Err(e) => Err(io(e)),
            }
        }
        Err(e) => Err(io(e)),
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Publish `bytes` at `path` atomically and owner-only: write and sync a temporary file, then
/// hard-link it into place. The link fails with `AlreadyExists` if another process got there
/// first, so a key is never overwritten and never seen half-written.
fn publish_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}.{unique}", std::process::id()));
    let temp = path.with_file_name(name);
    let result = write_private(&temp, bytes).and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    result
}

/// Write `bytes` to a new file readable only by its owner, and sync it to disk.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_loads_the_same_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys").join("log.pem");
        let (first, origin) =
            load_or_generate(&path, SigningAlgorithm::EcdsaP256Sha256).expect("generate");
        assert_eq!(origin, KeyOrigin::Generated);
        let (second, origin) =
            load_or_generate(&path, SigningAlgorithm::EcdsaP256Sha256).expect("load");
        assert_eq!(origin, KeyOrigin::Loaded);
        assert_eq!(
            first.public_key().spki_der(),
            second.public_key().spki_der()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(path.parent().expect("parent"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
    }

    #[test]
    fn a_key_of_another_algorithm_is_refused_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.pem");
        load_or_generate(&path, SigningAlgorithm::Ed25519).expect("generate");
        let before = std::fs::read(&path).expect("read");
        let err = load_or_generate(&path, SigningAlgorithm::EcdsaP256Sha256).expect_err("mismatch");
        assert!(matches!(err, KeyFileError::WrongAlgorithm { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }

    #[test]
    fn processes_racing_to_create_a_key_end_up_with_the_same_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys").join("race.pem");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    load_or_generate(&path, SigningAlgorithm::EcdsaP256Sha256)
                        .expect("every racer gets a key")
                        .0
                        .public_key()
                        .spki_der()
                        .to_vec()
                })
            })
            .collect();
        let keys: Vec<Vec<u8>> = threads
            .into_iter()
            .map(|t| t.join().expect("join"))
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] == w[1]),
            "all racers use one key"
        );
        let leftovers = std::fs::read_dir(path.parent().expect("parent"))
            .expect("read dir")
            .count();
        assert_eq!(leftovers, 1, "no temporary files are left behind");
    }

    #[test]
    fn garbage_in_a_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.pem");
        std::fs::write(&path, "not a key").expect("write");
        let err = load_or_generate(&path, SigningAlgorithm::EcdsaP256Sha256).expect_err("garbage");
        assert!(err.to_string().contains("log.pem"), "{err}");
    }
}
