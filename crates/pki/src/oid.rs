//! Object identifiers this crate writes or checks.
//!
//! Sigstore's arc is `1.3.6.1.4.1.57264` (IANA private enterprise number 57264); `.1.*` are
//! Fulcio's certificate extensions (fulcio `docs/oid-info.md`). The CT OIDs are RFC 6962 §3.

use const_oid::ObjectIdentifier;

/// `1.3.6.1.4.1.57264.1`: the arc under which Fulcio's extensions live ([`SigstoreExtension`]'s
/// `arc` is the next component).
///
/// [`SigstoreExtension`]: crate::SigstoreExtension
pub const SIGSTORE_FULCIO_ARC: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");
/// `1.3.6.1.4.1.57264.1.1`: the OIDC issuer, deprecated encoding (raw UTF-8 extnValue).
pub const SIGSTORE_ISSUER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
/// `1.3.6.1.4.1.57264.1.7`: the `otherName` type-id of a username SAN (`sub!domain`).
pub const SIGSTORE_OTHERNAME_SAN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");
/// `1.3.6.1.4.1.57264.1.8`: the OIDC issuer (V2, DER `UTF8String`).
pub const SIGSTORE_ISSUER_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");

/// `1.3.6.1.4.1.11129.2.4.2`: the embedded SCT list extension (RFC 6962 §3.3).
pub const CT_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
/// `1.3.6.1.4.1.11129.2.4.3`: the precertificate poison extension (RFC 6962 §3.1).
pub const CT_POISON: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");

/// `id-kp-codeSigning` (RFC 5280 §4.2.1.12).
pub const KP_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// `id-kp-timeStamping` (RFC 5280 §4.2.1.12, RFC 3161 §2.3).
pub const KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// `anyExtendedKeyUsage` (RFC 5280 §4.2.1.12).
pub const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// `id-ce-subjectKeyIdentifier`.
pub const SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
/// `id-ce-keyUsage`.
pub const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
/// `id-ce-subjectAltName`.
pub const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// `id-ce-basicConstraints`.
pub const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// `id-ce-authorityKeyIdentifier`.
pub const AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
/// `id-ce-extKeyUsage`.
pub const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// `id-at-commonName`.
pub(crate) const AT_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// `id-at-organizationName`.
pub(crate) const AT_ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// `ecdsa-with-SHA256` (RFC 5758 §3.2).
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `ecdsa-with-SHA384` (RFC 5758 §3.2).
pub(crate) const ECDSA_WITH_SHA384: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// `sha256WithRSAEncryption` (RFC 4055 §5).
pub(crate) const SHA256_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// `id-Ed25519` (RFC 8410 §3).
pub(crate) const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1` (RFC 5480 §2.1.1.1).
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1` (RFC 5480 §2.1.1.1).
pub(crate) const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
/// `secp521r1` (RFC 5480 §2.1.1.1).
pub(crate) const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
/// `rsaEncryption` (RFC 3279 §2.3.1).
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
