//! The DER structures of RFC 3161 (Time-Stamp Protocol), RFC 5652 (CMS) and RFC 5035/5816
//! (ESS `signingCertificateV2`), as `der` derive types. Each type's doc comment carries its ASN.1
//! definition. Decoding is strict DER (the `der` crate rejects BER forms, non-minimal integers
//! and trailing bytes), with one leniency inherited from the derive: a `DEFAULT` value that is
//! encoded explicitly (for example `certReq FALSE`) is accepted.

use const_oid::ObjectIdentifier;
use der::asn1::{Any, BitString, GeneralizedTime, Int, OctetString, SetOfVec};
use der::{Sequence, ValueOrd};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

/// Object identifiers used by the TSA.
pub mod oid {
    use const_oid::ObjectIdentifier;

    /// `id-sha1` (only recognised in order to refuse it).
    pub const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
    /// `id-sha256`.
    pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// `id-sha384`.
    pub const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
    /// `id-sha512`.
    pub const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
    /// `ecdsa-with-SHA256` (RFC 5758).
    pub const ECDSA_WITH_SHA256: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    /// `ecdsa-with-SHA384` (RFC 5758).
    pub const ECDSA_WITH_SHA384: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
    /// `id-signedData` (RFC 5652 §5.1).
    pub const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    /// `id-ct-TSTInfo` (RFC 3161 §2.4.2).
    pub const TST_INFO: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
    /// `id-contentType` signed attribute (RFC 5652 §11.1).
    pub const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
    /// `id-messageDigest` signed attribute (RFC 5652 §11.2).
    pub const MESSAGE_DIGEST: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
    /// `id-signingTime` signed attribute (RFC 5652 §11.3).
    pub const SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
    /// `id-aa-signingCertificateV2` signed attribute (RFC 5035 §3, RFC 5816).
    pub const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
    /// `id-kp-timeStamping` extended key usage (RFC 3161 §2.3).
    pub const KP_TIME_STAMPING: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
    /// `anyExtendedKeyUsage` (RFC 5280 §4.2.1.12).
    pub const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.5.29.37.0");
    /// Sigstore's timestamping policy, the default `policy` of upstream timestamp-authority.
    pub const SIGSTORE_TSA_POLICY: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2");
}

/// RFC 3161 §2.4.1:
///
/// ```text
/// MessageImprint ::= SEQUENCE  {
///      hashAlgorithm                AlgorithmIdentifier,
///      hashedMessage                OCTET STRING  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub struct MessageImprint {
    /// The hash algorithm of `hashed_message`.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The digest being time-stamped.
    pub hashed_message: OctetString,
}

/// RFC 3161 §2.4.1:
///
/// ```text
/// TimeStampReq ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    messageImprint               MessageImprint,
///    reqPolicy             TSAPolicyId              OPTIONAL,
///    nonce                 INTEGER                  OPTIONAL,
///    certReq               BOOLEAN                  DEFAULT FALSE,
///    extensions            [0] IMPLICIT Extensions  OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    /// Must be 1; kept as an `Int` so that another value is reported as such, not as garbage.
    pub version: Int,
    /// The digest to time-stamp.
    pub message_imprint: MessageImprint,
    /// The policy the client asks for.
    pub req_policy: Option<ObjectIdentifier>,
    /// A client nonce, echoed in the token.
    pub nonce: Option<Int>,
    /// Whether the TSA certificate should be included in the token.
    #[asn1(default = "bool::default")]
    pub cert_req: bool,
    /// Request extensions (Cairn, like upstream, grants no request carrying any).
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// RFC 3161 §2.4.2 (the `statusString` is a `PKIFreeText`, a sequence of UTF-8 strings):
///
/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    /// `PKIStatus` (0 granted, 2 rejection, …).
    pub status: u8,
    /// Human-readable text.
    pub status_string: Option<Vec<String>>,
    /// `PKIFailureInfo`, a named bit string.
    pub fail_info: Option<BitString>,
}

/// RFC 5652 §3 (a `TimeStampToken` is a `ContentInfo` holding `SignedData`):
///
/// ```text
/// ContentInfo ::= SEQUENCE {
///   contentType ContentType,
///   content [0] EXPLICIT ANY DEFINED BY contentType }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ContentInfo {
    /// `id-signedData` for a time-stamp token.
    pub content_type: ObjectIdentifier,
    /// The DER `SignedData`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    pub content: Any,
}

/// RFC 3161 §2.4.2:
///
/// ```text
/// TimeStampResp ::= SEQUENCE  {
///      status                  PKIStatusInfo,
///      timeStampToken          TimeStampToken     OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp {
    /// Granted or not, and why not.
    pub status: PkiStatusInfo,
    /// Present exactly when the status is granted.
    pub time_stamp_token: Option<ContentInfo>,
}

/// RFC 3161 §2.4.2:
///
/// ```text
/// Accuracy ::= SEQUENCE {
///       seconds        INTEGER              OPTIONAL,
///       millis     [0] INTEGER  (1..999)    OPTIONAL,
///       micros     [1] INTEGER  (1..999)    OPTIONAL  }
/// ```
#[derive(Clone, Copy, Debug, Eq, PartialEq, Sequence)]
pub struct AccuracyDer {
    /// Whole seconds.
    pub seconds: Option<u32>,
    /// Milliseconds, 1..=999.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    /// Microseconds, 1..=999.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// RFC 3161 §2.4.2:
///
/// ```text
/// TSTInfo ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    policy                       TSAPolicyId,
///    messageImprint               MessageImprint,
///    serialNumber                 INTEGER,
///    genTime                      GeneralizedTime,
///    accuracy                     Accuracy                 OPTIONAL,
///    ordering                     BOOLEAN             DEFAULT FALSE,
///    nonce                        INTEGER                  OPTIONAL,
///    tsa                          [0] GeneralName          OPTIONAL,
///    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
/// ```
///
/// `GeneralName` is a CHOICE, so the `[0]` tag of `tsa` is explicit.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    /// Always 1.
    pub version: u8,
    /// The policy under which the token was issued.
    pub policy: ObjectIdentifier,
    /// The request's imprint, echoed.
    pub message_imprint: MessageImprint,
    /// Unique per token.
    pub serial_number: Int,
    /// The time of issue (the `der` crate encodes whole seconds only, `YYYYMMDDHHMMSSZ`).
    pub gen_time: GeneralizedTime,
    /// How far `gen_time` may be from UTC.
    pub accuracy: Option<AccuracyDer>,
    /// Whether tokens from this TSA can be ordered by `gen_time` alone.
    #[asn1(default = "bool::default")]
    pub ordering: bool,
    /// The request's nonce, echoed.
    pub nonce: Option<Int>,
    /// The TSA's name (the signing certificate's subject, as a `directoryName`).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    /// Extensions (none are issued).
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// RFC 5652 §5.2:
///
/// ```text
/// EncapsulatedContentInfo ::= SEQUENCE {
///   eContentType ContentType,
///   eContent [0] EXPLICIT OCTET STRING OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EncapsulatedContentInfo {
    /// `id-ct-TSTInfo` for a time-stamp token.
    pub e_content_type: ObjectIdentifier,
    /// The DER `TSTInfo`.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub e_content: Option<OctetString>,
}

/// RFC 5652 §10.2.4:
///
/// ```text
/// IssuerAndSerialNumber ::= SEQUENCE {
///   issuer Name,
///   serialNumber CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub struct IssuerAndSerialNumber {
    /// The signing certificate's issuer.
    pub issuer: Name,
    /// The signing certificate's serial number.
    pub serial_number: Int,
}

/// RFC 5652 §5.3, with the `sid` CHOICE limited to `issuerAndSerialNumber` (the form Cairn
/// issues, and the only one sigstore-python accepts):
///
/// ```text
/// SignerInfo ::= SEQUENCE {
///   version CMSVersion,
///   sid SignerIdentifier,
///   digestAlgorithm DigestAlgorithmIdentifier,
///   signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
///   signatureAlgorithm SignatureAlgorithmIdentifier,
///   signature SignatureValue,
///   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence, ValueOrd)]
pub struct SignerInfo {
    /// 1 for an `issuerAndSerialNumber` signer identifier.
    pub version: u8,
    /// Which certificate signed.
    pub sid: IssuerAndSerialNumber,
    /// The hash of the content (`messageDigest`) and of the signed attributes.
    pub digest_algorithm: AlgorithmIdentifierOwned,
    /// The signed attributes; the signature covers their DER encoding as a `SET OF`.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub signed_attrs: Option<SetOfVec<Attribute>>,
    /// The signature algorithm.
    pub signature_algorithm: AlgorithmIdentifierOwned,
    /// The signature over the DER `SET OF` signed attributes.
    pub signature: OctetString,
    /// Unsigned attributes (none are issued).
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub unsigned_attrs: Option<SetOfVec<Attribute>>,
}

/// RFC 5652 §5.1 (certificates are kept as raw DER `Any` values):
///
/// ```text
/// SignedData ::= SEQUENCE {
///   version CMSVersion,
///   digestAlgorithms DigestAlgorithmIdentifiers,
///   encapContentInfo EncapsulatedContentInfo,
///   certificates [0] IMPLICIT CertificateSet OPTIONAL,
///   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///   signerInfos SignerInfos }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SignedData {
    /// 3, because the encapsulated content type is not `id-data` (RFC 5652 §5.1).
    pub version: u8,
    /// The digest algorithms of the signers.
    pub digest_algorithms: SetOfVec<AlgorithmIdentifierOwned>,
    /// The `TSTInfo`.
    pub encap_content_info: EncapsulatedContentInfo,
    /// The signing certificate, when the request set `certReq`.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub certificates: Option<SetOfVec<Any>>,
    /// Revocation information (never issued).
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub crls: Option<SetOfVec<Any>>,
    /// Exactly one signer.
    pub signer_infos: SetOfVec<SignerInfo>,
}

/// RFC 5035 §5.4.1.1:
///
/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer                   GeneralNames,
///     serialNumber             CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// The certificate's issuer as a single `directoryName`.
    pub issuer: Vec<GeneralName>,
    /// The certificate's serial number.
    pub serial_number: Int,
}

/// RFC 5035 §4 / RFC 5816 §2.2.1:
///
/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm           AlgorithmIdentifier
///            DEFAULT {algorithm id-sha256},
///     certHash                 Hash,
///     issuerSerial             IssuerSerial OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// The hash of `cert_hash`; `None` is the default, SHA-256. (The `der` derive cannot
    /// express a non-`Copy` `DEFAULT`; the two tags differ, so `OPTIONAL` decodes the same.)
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// The hash of the whole DER certificate.
    pub cert_hash: OctetString,
    /// The certificate's issuer and serial number.
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 5035 §5.4.1.1:
///
/// ```text
/// SigningCertificateV2 ::=  SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// The signing certificate first.
    pub certs: Vec<EssCertIdV2>,
    /// Never issued.
    pub policies: Option<Vec<Any>>,
}
