//! Ed25519ph verification ([RFC 8032 §5.1.7] with `F = 1` and an empty context) over a
//! SHA-512 digest the caller already has.
//!
//! Rekor verifies `hashedrekord` signatures by Ed25519 keys this way: the entry carries only
//! `SHA-512(artifact)`, and Ed25519ph signs exactly that digest. The check is the cofactorless
//! one Go's `crypto/ed25519` makes: `S < L`, `A` decodes, and the encoding of
//! `[S]B − [k]A` equals the signature's `R`, with
//! `k = SHA-512(dom2(1, "") ‖ R ‖ A ‖ PH(M)) mod L`.
//!
//! This belongs in the `keys` crate and should move there; it lives here until `keys` grows a
//! prehashed Ed25519 scheme.
//!
//! [RFC 8032 §5.1.7]: https://www.rfc-editor.org/rfc/rfc8032#section-5.1.7

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// `dom2(1, "")`: the domain separation prefix of Ed25519ph with an empty context
/// (RFC 8032 §2: `"SigEd25519 no Ed25519 collisions" ‖ octet(1) ‖ octet(0)`).
const DOM2_PH_EMPTY_CONTEXT: &[u8] = b"SigEd25519 no Ed25519 collisions\x01\x00";

/// Why an Ed25519ph signature was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Ed25519phError {
    /// The digest is not 64 bytes (SHA-512).
    #[error("Ed25519ph needs a 64-byte SHA-512 digest, got {0} bytes")]
    DigestLength(usize),
    /// The signature is not 64 bytes.
    #[error("Ed25519 signatures are 64 bytes, got {0}")]
    SignatureLength(usize),
    /// The signature does not verify (includes undecodable `A` and `S ≥ L`).
    #[error("Ed25519ph signature verification failed")]
    BadSignature,
}

/// Verify an Ed25519ph signature by the raw 32-byte public key `public_key` over `sha512_digest`.
pub fn verify_prehashed(
    public_key: &[u8; 32],
    sha512_digest: &[u8],
    signature: &[u8],
) -> Result<(), Ed25519phError> {
    if sha512_digest.len() != 64 {
        return Err(Ed25519phError::DigestLength(sha512_digest.len()));
    }
    let signature: &[u8; 64] = signature
        .try_into()
        .map_err(|_| Ed25519phError::SignatureLength(signature.len()))?;
    let (r_bytes, s_bytes) = signature.split_at(32);
    let s_bytes: [u8; 32] = s_bytes
        .try_into()
        .map_err(|_| Ed25519phError::BadSignature)?;
    let s: Option<Scalar> = Scalar::from_canonical_bytes(s_bytes).into();
    let s = s.ok_or(Ed25519phError::BadSignature)?;
    let a = CompressedEdwardsY(*public_key)
        .decompress()
        .ok_or(Ed25519phError::BadSignature)?;

    let mut hasher = Sha512::new();
    hasher.update(DOM2_PH_EMPTY_CONTEXT);
    hasher.update(r_bytes);
    hasher.update(public_key);
    hasher.update(sha512_digest);
    let k_wide: [u8; 64] = hasher.finalize().into();
    let k = Scalar::from_bytes_mod_order_wide(&k_wide);

    let r_check = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &(-a), &s);
    if r_check.compress().as_bytes()[..] == r_bytes[..] {
        Ok(())
    } else {
        Err(Ed25519phError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 8032 §7.3, test "abc" (Ed25519ph).
    const PUBLIC: &str = "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
    const SIGNATURE: &str = "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";

    fn vector() -> ([u8; 32], Vec<u8>, Vec<u8>) {
        let public: [u8; 32] = hex::decode(PUBLIC).unwrap().try_into().unwrap();
        let digest = Sha512::digest(b"abc").to_vec();
        (public, digest, hex::decode(SIGNATURE).unwrap())
    }

    #[test]
    fn rfc8032_7_3_abc() {
        let (public, digest, signature) = vector();
        assert_eq!(verify_prehashed(&public, &digest, &signature), Ok(()));
    }

    #[test]
    fn rfc8032_vector_tampered() {
        let (public, digest, signature) = vector();
        for i in [0, 31, 32, 63] {
            let mut bad = signature.clone();
            bad[i] ^= 0x01;
            assert!(
                verify_prehashed(&public, &digest, &bad).is_err(),
                "byte {i}"
            );
        }
        let mut bad_digest = digest.clone();
        bad_digest[0] ^= 1;
        assert_eq!(
            verify_prehashed(&public, &bad_digest, &signature),
            Err(Ed25519phError::BadSignature)
        );
        // The pure-Ed25519 check of the same bytes must not pass (domain separation).
        let sha256 = sha2::Sha256::digest(b"abc");
        assert_eq!(
            verify_prehashed(&public, &sha256, &signature),
            Err(Ed25519phError::DigestLength(32))
        );
        assert_eq!(
            verify_prehashed(&public, &digest, &signature[..63]),
            Err(Ed25519phError::SignatureLength(63))
        );
    }

    #[test]
    fn non_canonical_s_is_rejected() {
        let (public, digest, signature) = vector();
        // S + L encodes the same scalar but is not canonical.
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut s_plus_l = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(signature[32 + i]) + u16::from(l[i]) + carry;
            s_plus_l[i] = sum as u8;
            carry = sum >> 8;
        }
        let mut bad = signature[..32].to_vec();
        bad.extend_from_slice(&s_plus_l);
        assert_eq!(
            verify_prehashed(&public, &digest, &bad),
            Err(Ed25519phError::BadSignature)
        );
    }
}
