//! [`Signer`] and the in-memory [`SoftwareSigner`].

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair as _,
};
use der::Decode;
use pkcs8::pkcs5::{self, pbes2};
use pkcs8::{EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use crate::asn1::{self, Curve};
use crate::{KeyError, PublicKey, SignError, SigningAlgorithm, pem};

/// Anything that can sign: an in-memory key today, an HSM (PKCS#11) or KMS key later.
///
/// Implementations must be usable from many threads at once.
pub trait Signer: Send + Sync + std::fmt::Debug {
    /// The public half of the signing key.
    fn public_key(&self) -> &PublicKey;
    /// Sign `message` with the key's default scheme (ECDSA: DER signature over the scheme's hash
    /// of `message`; Ed25519: pure).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

impl<S: Signer + ?Sized> Signer for Arc<S> {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> &PublicKey {
        (**self).public_key()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        (**self).sign(message)
    }
}

/// A private key held in process memory (generated, or loaded from PKCS#8 / SEC1).
///
/// Its `Debug` output and every error it returns show only public information.
pub struct SoftwareSigner {
    key: PrivateKey,
    public: PublicKey,
    /// The key as PKCS#8 v1 PEM, made once so that exporting cannot fail.
    pkcs8_pem: Zeroizing<String>,
}

enum PrivateKey {
    Ecdsa {
        algorithm: SigningAlgorithm,
        pair: EcdsaKeyPair,
    },
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("algorithm", &self.algorithm())
            .field("public_key", &self.public)
            .finish_non_exhaustive()
    }
}

fn ecdsa_signing(curve: Curve) -> (SigningAlgorithm, &'static EcdsaSigningAlgorithm) {
    match curve {
        Curve::P256 => (
            SigningAlgorithm::EcdsaP256Sha256,
            &ECDSA_P256_SHA256_ASN1_SIGNING,
        ),
        Curve::P384 => (
            SigningAlgorithm::EcdsaP384Sha384,
            &ECDSA_P384_SHA384_ASN1_SIGNING,
        ),
    }
}

fn rejected(err: aws_lc_rs::error::KeyRejected) -> KeyError {
    KeyError::Rejected(err.to_string())
}

impl SoftwareSigner {
    /// Generate a fresh key.
    pub fn generate(alg: SigningAlgorithm) -> Result<Self, KeyError> {
        let key = match alg {
            SigningAlgorithm::EcdsaP256Sha256 => PrivateKey::Ecdsa {
                algorithm: alg,
                pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|_| KeyError::GenerationFailed)?,
            },
            SigningAlgorithm::EcdsaP384Sha384 => PrivateKey::Ecdsa {
                algorithm: alg,
                pair: EcdsaKeyPair::generate(&ECDSA_P384_SHA384_ASN1_SIGNING)
                    .map_err(|_| KeyError::GenerationFailed)?,
            },
            SigningAlgorithm::Ed25519 => PrivateKey::Ed25519(
                Ed25519KeyPair::generate().map_err(|_| KeyError::GenerationFailed)?,
            ),
        };
        Self::new(key)
    }

    /// Load an unencrypted PKCS#8 `PrivateKeyInfo` (DER), v1 or v2 (RFC 5208 / RFC 5958).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = PrivateKeyInfoRef::from_der(der)
            .map_err(|e| KeyError::Malformed(format!("PrivateKeyInfo: {e}")))?;
        let oid = info.algorithm.oid;
        let params = info.algorithm.parameters;
        let key = if oid == asn1::ID_EC_PUBLIC_KEY {
            let curve_oid: der::asn1::ObjectIdentifier = params
                .ok_or_else(|| KeyError::Malformed("id-ecPublicKey without a curve".into()))?
                .decode_as()
                .map_err(|e| KeyError::Unsupported(format!("EC parameters: {e}")))?;
            let curve = Curve::from_oid(&curve_oid)
                .ok_or_else(|| KeyError::Unsupported(format!("EC curve {curve_oid}")))?;
            let (algorithm, signing) = ecdsa_signing(curve);
            PrivateKey::Ecdsa {
                algorithm,
                pair: EcdsaKeyPair::from_pkcs8(signing, der).map_err(rejected)?,
            }
        } else if oid == asn1::ID_ED25519 {
            if params.is_some() {
                return Err(KeyError::Malformed(
                    "id-Ed25519 parameters must be absent (RFC 8410 §3)".into(),
                ));
            }
            PrivateKey::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(rejected)?)
        } else if oid == asn1::RSA_ENCRYPTION {
            return Err(KeyError::Unsupported(
                "RSA private keys (Cairn signs with ECDSA or Ed25519)".into(),
            ));
        } else {
            return Err(KeyError::Unsupported(format!(
                "private key algorithm {oid}"
            )));
        };
        Self::new(key)
    }

    /// Load a password-encrypted PKCS#8 `EncryptedPrivateKeyInfo` (DER, RFC 5958 §3) whose
    /// scheme is PBES2 (RFC 8018) with PBKDF2 (HMAC-SHA-224/256/384/512) or scrypt (RFC 7914)
    /// and AES-CBC or AES-GCM, as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it.
    ///
    /// A wrong passphrase is [`KeyError::Decryption`]; PBES1 and other schemes are
    /// [`KeyError::UnsupportedEncryption`]. Key-derivation costs are bounded (PBKDF2 at most
    /// 10,000,000 iterations, scrypt at most 256 MiB of memory and p ≤ 64) so that a hostile
    /// file cannot exhaust the machine.
    pub fn from_encrypted_pkcs8_der(der: &[u8], passphrase: &[u8]) -> Result<Self, KeyError> {
        let scheme = encryption_scheme_oid(der)?;
        if scheme != pbes2::PBES2_OID {
            return Err(KeyError::UnsupportedEncryption(format!(
                "{scheme} (only PBES2 is supported)"
            )));
        }
        let info = EncryptedPrivateKeyInfoRef::from_der(der)
            .map_err(|e| KeyError::Malformed(format!("EncryptedPrivateKeyInfo: {e}")))?;
        let params = info.encryption_algorithm.pbes2().ok_or_else(|| {
            KeyError::UnsupportedEncryption(format!(
                "{} (only PBES2 is supported)",
                info.encryption_algorithm.oid()
            ))
        })?;
        check_kdf_cost(&params.kdf)?;
        let plaintext = info.decrypt(passphrase).map_err(decryption_error)?;
        // AES-CBC padding catches most wrong passphrases; the rest decrypt to noise, which is
        // not a PrivateKeyInfo. A PrivateKeyInfo of an unsupported algorithm keeps its error.
        if PrivateKeyInfoRef::from_der(plaintext.as_bytes()).is_err() {
            return Err(KeyError::Decryption);
        }
        Self::from_pkcs8_der(plaintext.as_bytes())
    }

    /// Load a PEM `ENCRYPTED PRIVATE KEY` block (see [`SoftwareSigner::from_encrypted_pkcs8_der`]).
    pub fn from_encrypted_pkcs8_pem(pem: &str, passphrase: &[u8]) -> Result<Self, KeyError> {
        let (_, der) = pem::decode(
            pem,
            &[pem::ENCRYPTED_PRIVATE_KEY],
            pem::ENCRYPTED_PRIVATE_KEY,
        )?;
        Self::from_encrypted_pkcs8_der(&der, passphrase)
    }

    /// The private key as PEM `ENCRYPTED PRIVATE KEY`: PKCS#8 encrypted with PBES2, scrypt
    /// (N = 2^14, r = 8, p = 1, 16-byte random salt) and AES-256-CBC (random IV), which
    /// OpenSSL 3 reads (`openssl pkey -passin`).
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &[u8]) -> Result<Zeroizing<String>, KeyError> {
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        aws_lc_rs::rand::fill(&mut salt).map_err(|_| KeyError::GenerationFailed)?;
        aws_lc_rs::rand::fill(&mut iv).map_err(|_| KeyError::GenerationFailed)?;
        let scrypt =
            pkcs5::scrypt::Params::new(14, 8, 1).map_err(|_| KeyError::GenerationFailed)?;
        let params = pbes2::Parameters::generate_scrypt_aes256cbc(scrypt, &salt, iv)
            .map_err(|_| KeyError::GenerationFailed)?;
        let (_, pkcs8) = pem::decode(&self.pkcs8_pem, &[pem::PRIVATE_KEY], pem::PRIVATE_KEY)?;
        let info = PrivateKeyInfoRef::from_der(&pkcs8)
            .map_err(|e| KeyError::Malformed(format!("PrivateKeyInfo: {e}")))?;
        let encrypted = info
            .encrypt_with_params(params, passphrase)
            .map_err(|_| KeyError::GenerationFailed)?;
        let pem = pem::encode(pem::ENCRYPTED_PRIVATE_KEY, encrypted.as_bytes())
            .map_err(|_| KeyError::GenerationFailed)?;
        Ok(Zeroizing::new(pem))
    }

    /// Load a SEC1 `ECPrivateKey` (RFC 5915) DER for P-256 or P-384.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = asn1::parse_sec1(der)?;
        let (algorithm, signing) = ecdsa_signing(info.curve);
        let pair = EcdsaKeyPair::from_private_key_der(signing, der).map_err(rejected)?;
        Self::new(PrivateKey::Ecdsa { algorithm, pair })
    }

    /// Load a PEM `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1) block.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem::decode(
            pem,
            &[pem::PRIVATE_KEY, pem::EC_PRIVATE_KEY],
            "PRIVATE KEY or EC PRIVATE KEY",
        )?;
        if label == pem::EC_PRIVATE_KEY {
            Self::from_sec1_der(&der)
        } else {
            Self::from_pkcs8_der(&der)
        }
    }

    fn new(key: PrivateKey) -> Result<Self, KeyError> {
        let (public, pkcs8) = match &key {
            PrivateKey::Ecdsa { algorithm, pair } => {
                let curve = match algorithm {
                    SigningAlgorithm::EcdsaP384Sha384 => Curve::P384,
                    _ => Curve::P256,
                };
                let public = PublicKey::from_ec_point(curve, pair.public_key().as_ref())?;
                let pkcs8 = pair.to_pkcs8v1().map_err(|_| KeyError::GenerationFailed)?;
                (public, pkcs8)
            }
            PrivateKey::Ed25519(pair) => {
                let raw: [u8; 32] =
                    pair.public_key().as_ref().try_into().map_err(|_| {
                        KeyError::Rejected("Ed25519 public key is not 32 bytes".into())
                    })?;
                let public = PublicKey::from_ed25519_raw(raw)?;
                let pkcs8 = pair.to_pkcs8v1().map_err(|_| KeyError::GenerationFailed)?;
                (public, pkcs8)
            }
        };
        // `pkcs8` is an aws-lc-rs `Document`, which zeroizes itself on drop.
        let pkcs8_pem = Zeroizing::new(
            pem::encode(pem::PRIVATE_KEY, pkcs8.as_ref())
                .map_err(|_| KeyError::GenerationFailed)?,
        );
        Ok(SoftwareSigner {
            key,
            public,
            pkcs8_pem,
        })
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match &self.key {
            PrivateKey::Ecdsa { algorithm, .. } => *algorithm,
            PrivateKey::Ed25519(_) => SigningAlgorithm::Ed25519,
        }
    }

    /// The private key as PKCS#8 v1 PEM (`PRIVATE KEY`), zeroized on drop.
    ///
    /// This is a fresh encoding of the key, not the bytes it was loaded from (a SEC1 key comes
    /// out as PKCS#8, a PKCS#8 v2 Ed25519 key as v1).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        self.pkcs8_pem.clone()
    }
}

/// Largest PBKDF2 iteration count accepted (RFC 8018 §4.2 calls 10,000,000 appropriate for
/// especially critical keys).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Largest scrypt working memory accepted (128 · r · N bytes).
const MAX_SCRYPT_MEMORY: u128 = 256 * 1024 * 1024;
/// Largest scrypt parallelization parameter accepted.
const MAX_SCRYPT_P: u16 = 64;

/// Refuse key-derivation parameters that would cost more than any sane key file needs.
fn check_kdf_cost(kdf: &pbes2::Kdf) -> Result<(), KeyError> {
    if let Some(pbkdf2) = kdf.pbkdf2() {
        if pbkdf2.iteration_count > MAX_PBKDF2_ITERATIONS {
            return Err(KeyError::UnsupportedEncryption(format!(
                "PBKDF2 iteration count {} exceeds {MAX_PBKDF2_ITERATIONS}",
                pbkdf2.iteration_count
            )));
        }
    } else if let Some(scrypt) = kdf.scrypt() {
        let memory = 128u128 * u128::from(scrypt.block_size) * u128::from(scrypt.cost_parameter);
        if memory > MAX_SCRYPT_MEMORY || scrypt.parallelization > MAX_SCRYPT_P {
            return Err(KeyError::UnsupportedEncryption(format!(
                "scrypt parameters N={} r={} p={} exceed the limits (128·r·N ≤ 256 MiB, p ≤ {MAX_SCRYPT_P})",
                scrypt.cost_parameter, scrypt.block_size, scrypt.parallelization
            )));
        }
    }
    Ok(())
}

/// The encryption algorithm OID of an `EncryptedPrivateKeyInfo`, read without interpreting
/// its parameters (so that PBES1 and PKCS#12 schemes are reported as unsupported, not malformed).
fn encryption_scheme_oid(der: &[u8]) -> Result<der::asn1::ObjectIdentifier, KeyError> {
    let malformed = |e: der::Error| KeyError::Malformed(format!("EncryptedPrivateKeyInfo: {e}"));
    let mut reader = der::SliceReader::new(der).map_err(malformed)?;
    let oid = der::Reader::sequence(&mut reader, |inner| {
        let algorithm = spki::AlgorithmIdentifierRef::decode(inner)?;
        let _ciphertext = <&der::asn1::OctetStringRef>::decode(inner)?;
        Ok::<_, der::Error>(algorithm.oid)
    })
    .map_err(malformed)?;
    der::Reader::finish(reader).map_err(malformed)?;
    Ok(oid)
}

/// Map a PKCS#8/PKCS#5 decryption failure; none of these errors carries key material.
fn decryption_error(err: pkcs8::Error) -> KeyError {
    match err {
        pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::DecryptFailed) => KeyError::Decryption,
        pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
            KeyError::UnsupportedEncryption(format!("algorithm {oid}"))
        }
        pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::NoPbes1CryptSupport) => {
            KeyError::UnsupportedEncryption("PBES1".into())
        }
        pkcs8::Error::EncryptedPrivateKey(other) => {
            KeyError::UnsupportedEncryption(other.to_string())
        }
        // The plaintext was not a document: decryption produced noise.
        _ => KeyError::Decryption,
    }
}

impl Signer for SoftwareSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let signature = match &self.key {
            PrivateKey::Ecdsa { pair, .. } => pair.sign(&SystemRandom::new(), message),
            PrivateKey::Ed25519(pair) => pair.try_sign(message),
        }
        .map_err(|_| SignError::Backend("aws-lc-rs could not sign".into()))?;
        Ok(signature.as_ref().to_vec())
    }
}
