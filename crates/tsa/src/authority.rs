//! The time-stamp authority: checks its certificate chain once, then issues signed
//! `TimeStampResp`s.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use const_oid::ObjectIdentifier;
use der::asn1::{Any, GeneralizedTime, Int, OctetString, SetOfVec, Uint};
use der::{DateTime, Decode, Encode};
use keys::{HashAlgorithm, KeyKind, PublicKey, Signer};
use sha2::Digest as _;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::time::Time;

use crate::asn1::{
    AccuracyDer, ContentInfo, EncapsulatedContentInfo, EssCertIdV2, IssuerAndSerialNumber,
    IssuerSerial, MessageImprint, PkiStatusInfo, SignedData, SignerInfo, SigningCertificateV2,
    TimeStampResp, TstInfo, oid,
};
use crate::request::{TimestampRequest, imprint_algorithm};
use crate::status::{PkiFailureInfo, PkiStatus, rejection_response};

/// Length of the serials [`random_serial`] makes: 20 bytes with the top bit clear, so 159 random
/// bits that always fit RFC 3161's "integers up to 160 bits".
pub const SERIAL_BYTES: usize = 20;

/// `accuracy` in a `TSTInfo`: how far `genTime` may be from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accuracy {
    seconds: u32,
    millis: u16,
    micros: u16,
}

impl Accuracy {
    /// One second, upstream timestamp-authority's accuracy.
    pub const ONE_SECOND: Accuracy = Accuracy {
        seconds: 1,
        millis: 0,
        micros: 0,
    };

    /// No `accuracy` field at all.
    pub const UNSPECIFIED: Accuracy = Accuracy {
        seconds: 0,
        millis: 0,
        micros: 0,
    };

    /// An accuracy of `seconds` s + `millis` ms + `micros` µs (`millis` and `micros` at most 999).
    pub fn new(seconds: u32, millis: u16, micros: u16) -> Result<Accuracy, AuthorityError> {
        if millis > 999 || micros > 999 {
            return Err(AuthorityError::InvalidAccuracy);
        }
        Ok(Accuracy {
            seconds,
            millis,
            micros,
        })
    }

    /// A duration, truncated to whole microseconds.
    pub fn from_duration(duration: Duration) -> Result<Accuracy, AuthorityError> {
        let seconds =
            u32::try_from(duration.as_secs()).map_err(|_| AuthorityError::InvalidAccuracy)?;
        let micros_total = duration.subsec_micros();
        Accuracy::new(
            seconds,
            (micros_total / 1000) as u16,
            (micros_total % 1000) as u16,
        )
    }

    /// The DER field; zero components are left out and an all-zero accuracy is no field.
    fn to_der(self) -> Option<AccuracyDer> {
        let nonzero = |v: u16| (v != 0).then_some(v);
        let der = AccuracyDer {
            seconds: (self.seconds != 0).then_some(self.seconds),
            millis: nonzero(self.millis),
            micros: nonzero(self.micros),
        };
        (der.seconds.is_some() || der.millis.is_some() || der.micros.is_some()).then_some(der)
    }
}

/// Why a certificate chain and key cannot make a time-stamp authority. The checks are upstream
/// timestamp-authority's (`VerifyCertChain`) plus what `openssl ts -verify` demands of the
/// signing certificate, so a misconfigured chain fails at startup rather than at the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorityError {
    /// Fewer than two certificates (leaf and at least one CA).
    #[error("the TSA chain must hold the signing certificate and its CA certificates, got {len}")]
    ChainTooShort {
        /// Number of certificates given.
        len: usize,
    },
    /// A certificate is not DER X.509.
    #[error("TSA chain certificate {index} is not a DER X.509 certificate: {detail}")]
    Certificate {
        /// Position in the chain (0 = leaf).
        index: usize,
        /// The parser's message.
        detail: String,
    },
    /// The signer's key is not ECDSA P-256 or P-384. (Ed25519 is refused: sigstore-js maps only
    /// `ecdsa-with-SHA*` token signatures, sigstore-python only EC keys, and OpenSSL 3.0's
    /// `ts -verify` cannot check Ed25519 at all, so nobody could verify the tokens.)
    #[error(
        "the TSA key must be ECDSA P-256 or P-384 (Sigstore clients verify no other time-stamp signatures), found {0:?}"
    )]
    UnsupportedKey(KeyKind),
    /// The leaf certificate's public key is not the signer's.
    #[error("the TSA signing certificate does not hold the signer's public key")]
    KeyMismatch,
    /// The leaf's extended key usage is not exactly `id-kp-timeStamping`, critical (RFC 3161 §2.3).
    #[error(
        "the TSA signing certificate must have exactly one extended key usage, id-kp-timeStamping, marked critical: {0}"
    )]
    LeafExtendedKeyUsage(String),
    /// The leaf's key usage allows more than signing.
    #[error(
        "the TSA signing certificate's key usage must be digitalSignature and/or nonRepudiation only"
    )]
    LeafKeyUsage,
    /// The leaf is a CA certificate.
    #[error("the TSA signing certificate must not be a CA certificate")]
    LeafIsCa,
    /// A certificate after the leaf is not a CA certificate.
    #[error("TSA chain certificate {index} is not a CA certificate")]
    NotCa {
        /// Position in the chain.
        index: usize,
    },
    /// An intermediate lacks `id-kp-timeStamping` (upstream's `--enforce-intermediate-eku`), or
    /// a CA certificate restricts its key usages without allowing time-stamping.
    #[error(
        "TSA chain certificate {index} must allow time-stamping (extended key usage id-kp-timeStamping)"
    )]
    CaExtendedKeyUsage {
        /// Position in the chain.
        index: usize,
    },
    /// A certificate's issuer is not the next certificate's subject.
    #[error("TSA chain certificate {index}'s issuer is not the subject of certificate {}", index + 1)]
    IssuerMismatch {
        /// Position of the issued certificate.
        index: usize,
    },
    /// A certificate's signature does not verify under the next certificate's key.
    #[error("TSA chain certificate {index} is not signed by certificate {}: {detail}", index + 1)]
    BadSignature {
        /// Position of the issued certificate.
        index: usize,
        /// Why.
        detail: String,
    },
    /// A certificate is not valid at the time asked about.
    #[error("TSA chain certificate {index} is not valid at that time")]
    NotValidAt {
        /// Position in the chain.
        index: usize,
    },
    /// `millis` or `micros` over 999, or seconds beyond 32 bits.
    #[error("accuracy must be whole seconds plus at most 999 ms and 999 µs")]
    InvalidAccuracy,
    /// The signing certificate's names or serial could not be re-encoded.
    #[error("TSA signing certificate: {0}")]
    Encoding(String),
}

/// Why no token was issued for a request that parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The request names a policy this TSA does not issue under.
    #[error("the requested TSA policy {0} is not accepted")]
    UnacceptedPolicy(ObjectIdentifier),
    /// The serial number is empty, zero or longer than 20 bytes.
    #[error("serial number must be a positive integer of at most 20 bytes")]
    InvalidSerial,
    /// The clock is outside what a `GeneralizedTime` can hold.
    #[error("time not representable as GeneralizedTime")]
    TimeNotAvailable,
    /// The system random generator failed.
    #[error("random number generator failed")]
    Random,
    /// The signer failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// DER encoding failed.
    #[error("DER encoding failed: {0}")]
    Encoding(String),
}

impl IssueError {
    /// The `PKIFailureInfo` bit an RFC 3161 rejection would carry.
    pub fn failure_info(&self) -> PkiFailureInfo {
        match self {
            IssueError::UnacceptedPolicy(_) => PkiFailureInfo::UnacceptedPolicy,
            IssueError::TimeNotAvailable => PkiFailureInfo::TimeNotAvailable,
            IssueError::InvalidSerial
            | IssueError::Random
            | IssueError::Signing(_)
            | IssueError::Encoding(_) => PkiFailureInfo::SystemFailure,
        }
    }

    /// Whether the client caused this (a request the TSA will not grant) rather than the TSA.
    pub fn is_client_error(&self) -> bool {
        matches!(self, IssueError::UnacceptedPolicy(_))
    }

    /// A short, stable label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            IssueError::UnacceptedPolicy(_) => "unaccepted_policy",
            IssueError::InvalidSerial => "invalid_serial",
            IssueError::TimeNotAvailable => "time_not_available",
            IssueError::Random => "random",
            IssueError::Signing(_) => "signing_failed",
            IssueError::Encoding(_) => "encoding_failed",
        }
    }
}

fn encoding(err: der::Error) -> IssueError {
    IssueError::Encoding(err.to_string())
}

/// A fresh random serial number: [`SERIAL_BYTES`] bytes, top bit clear, never zero.
pub fn random_serial() -> Result<[u8; SERIAL_BYTES], IssueError> {
    loop {
        let mut serial = [0u8; SERIAL_BYTES];
        aws_lc_rs::rand::fill(&mut serial).map_err(|_| IssueError::Random)?;
        serial[0] &= 0x7f;
        if serial.iter().any(|&b| b != 0) {
            return Ok(serial);
        }
    }
}

/// How the token is signed, fixed by the key type: ECDSA signs with its curve's hash.
#[derive(Debug, Clone)]
struct SignatureProfile {
    digest: HashAlgorithm,
    digest_algorithm: AlgorithmIdentifierOwned,
    signature_algorithm: AlgorithmIdentifierOwned,
}

impl SignatureProfile {
    fn for_key(key: &PublicKey) -> Result<SignatureProfile, AuthorityError> {
        let (digest, signature_oid) = match key.kind() {
            KeyKind::EcdsaP256 => (HashAlgorithm::Sha256, oid::ECDSA_WITH_SHA256),
            KeyKind::EcdsaP384 => (HashAlgorithm::Sha384, oid::ECDSA_WITH_SHA384),
            other => return Err(AuthorityError::UnsupportedKey(other)),
        };
        Ok(SignatureProfile {
            digest,
            // RFC 5754 §2 and RFC 5758 §3.2: parameters absent for SHA-2 digests and ECDSA.
            digest_algorithm: AlgorithmIdentifierOwned {
                oid: crate::request::hash_oid(digest),
                parameters: None,
            },
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: signature_oid,
                parameters: None,
            },
        })
    }
}

fn digest(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
    }
}

fn hash_index(alg: HashAlgorithm) -> usize {
    match alg {
        HashAlgorithm::Sha256 => 0,
        HashAlgorithm::Sha384 => 1,
        HashAlgorithm::Sha512 => 2,
    }
}

const ALL_HASHES: [HashAlgorithm; 3] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
];

/// An RFC 3161 time-stamp authority: a signer, its certificate chain and its policy.
///
/// Tokens are built as upstream timestamp-authority (via `digitorus/timestamp` and
/// `digitorus/pkcs7`) builds them: `TSTInfo` v1 with the request's imprint (NULL hash
/// parameters), a caller-supplied serial, `genTime` in whole seconds UTC, the configured
/// accuracy, `ordering` false, the nonce echoed and `tsa` = the signing certificate's subject;
/// `SignedData` with one `SignerInfo` identified by issuer and serial number, signed attributes
/// `contentType`, `messageDigest`, `signingTime` and `signingCertificateV2` (whose `certHash`
/// uses the request's imprint hash, as upstream's does), and the signing certificate when the
/// request sets `certReq`.
pub struct TimestampAuthority {
    signer: Arc<dyn Signer>,
    profile: SignatureProfile,
    chain_der: Vec<Vec<u8>>,
    validity: Vec<(SystemTime, SystemTime)>,
    leaf: Any,
    sid: IssuerAndSerialNumber,
    tsa_name: GeneralName,
    /// The `signingCertificateV2` attribute for each imprint hash (SHA-256, SHA-384, SHA-512).
    signing_certificate: [Attribute; 3],
    policy: ObjectIdentifier,
    accepted_policies: Vec<ObjectIdentifier>,
    accuracy: Option<AccuracyDer>,
}

impl fmt::Debug for TimestampAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimestampAuthority")
            .field("signer", &self.signer)
            .field("policy", &self.policy)
            .field("accepted_policies", &self.accepted_policies)
            .field("chain_len", &self.chain_der.len())
            .finish_non_exhaustive()
    }
}

fn parse_chain(chain_der: &[Vec<u8>]) -> Result<Vec<Certificate>, AuthorityError> {
    chain_der
        .iter()
        .enumerate()
        .map(|(index, der)| {
            Certificate::from_der(der).map_err(|e| AuthorityError::Certificate {
                index,
                detail: e.to_string(),
            })
        })
        .collect()
}

fn certificate_error(index: usize) -> impl Fn(der::Error) -> AuthorityError {
    move |e| AuthorityError::Certificate {
        index,
        detail: e.to_string(),
    }
}

fn is_ca(cert: &Certificate, index: usize) -> Result<bool, AuthorityError> {
    Ok(cert
        .tbs_certificate()
        .get_extension::<BasicConstraints>()
        .map_err(certificate_error(index))?
        .is_some_and(|(_, bc)| bc.ca))
}

fn check_leaf(leaf: &Certificate, signer_key: &PublicKey) -> Result<(), AuthorityError> {
    let tbs = leaf.tbs_certificate();
    let spki = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(certificate_error(0))?;
    let leaf_key = PublicKey::from_spki_der(&spki).map_err(|e| AuthorityError::Certificate {
        index: 0,
        detail: format!("public key: {e}"),
    })?;
    if leaf_key.spki_der() != signer_key.spki_der() {
        return Err(AuthorityError::KeyMismatch);
    }
    if is_ca(leaf, 0)? {
        return Err(AuthorityError::LeafIsCa);
    }
    let eku = tbs
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|e| AuthorityError::LeafExtendedKeyUsage(e.to_string()))?;
    match eku {
        None => return Err(AuthorityError::LeafExtendedKeyUsage("absent".into())),
        Some((critical, ExtendedKeyUsage(purposes))) => {
            if purposes != [oid::KP_TIME_STAMPING] {
                let names: Vec<String> = purposes.iter().map(ToString::to_string).collect();
                return Err(AuthorityError::LeafExtendedKeyUsage(format!(
                    "found [{}]",
                    names.join(", ")
                )));
            }
            if !critical {
                return Err(AuthorityError::LeafExtendedKeyUsage(
                    "not marked critical".into(),
                ));
            }
        }
    }
    // OpenSSL's timestamp-signing purpose: key usage, when present, is digitalSignature and/or
    // nonRepudiation and nothing else.
    if let Some((_, KeyUsage(usages))) = tbs
        .get_extension::<KeyUsage>()
        .map_err(certificate_error(0))?
    {
        let signing = KeyUsages::DigitalSignature | KeyUsages::NonRepudiation;
        if usages.is_empty() || !(usages - signing).is_empty() {
            return Err(AuthorityError::LeafKeyUsage);
        }
    }
    Ok(())
}

fn check_issuers(chain: &[Certificate]) -> Result<(), AuthorityError> {
    let last = chain.len() - 1;
    for (index, cert) in chain.iter().enumerate().skip(1) {
        if !is_ca(cert, index)? {
            return Err(AuthorityError::NotCa { index });
        }
        let eku = cert
            .tbs_certificate()
            .get_extension::<ExtendedKeyUsage>()
            .map_err(certificate_error(index))?;
        let allows_time_stamping = |purposes: &[ObjectIdentifier]| {
            purposes.contains(&oid::KP_TIME_STAMPING)
                || purposes.contains(&oid::ANY_EXTENDED_KEY_USAGE)
        };
        let ok = match &eku {
            // Upstream requires the EKU on intermediates (EKU chaining) ...
            None => index == last,
            // ... and Go's chain verification refuses any CA whose EKU excludes it.
            Some((_, ExtendedKeyUsage(purposes))) => {
                allows_time_stamping(purposes)
                    && (index == last || purposes.contains(&oid::KP_TIME_STAMPING))
            }
        };
        if !ok {
            return Err(AuthorityError::CaExtendedKeyUsage { index });
        }
    }
    for (index, pair) in chain.windows(2).enumerate() {
        let (child, issuer) = (&pair[0], &pair[1]);
        if child.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
            return Err(AuthorityError::IssuerMismatch { index });
        }
        pki::verify_issued_by(child, issuer).map_err(|e| AuthorityError::BadSignature {
            index,
            detail: e.to_string(),
        })?;
    }
    Ok(())
}

impl TimestampAuthority {
    /// An authority signing with `signer` under `chain_der` (DER certificates, the signing
    /// certificate first, then its issuers up to the root, as `trusted_root.json` lists them),
    /// issuing under `policy` (the default for requests that name none, and the only policy
    /// accepted unless [`TimestampAuthority::with_accepted_policies`] adds others).
    ///
    /// The chain is checked as upstream timestamp-authority checks it (at least two
    /// certificates; the leaf holds the signer's key, is not a CA and has exactly one extended
    /// key usage, `id-kp-timeStamping`, marked critical; every other certificate is a CA;
    /// intermediates carry `id-kp-timeStamping`; each certificate is signed by the next) and as
    /// OpenSSL checks the signing certificate's key usage. Validity dates are not checked here;
    /// see [`TimestampAuthority::check_valid_at`].
    pub fn new(
        signer: Arc<dyn Signer>,
        chain_der: Vec<Vec<u8>>,
        policy: ObjectIdentifier,
        accuracy: Accuracy,
    ) -> Result<TimestampAuthority, AuthorityError> {
        if chain_der.len() < 2 {
            return Err(AuthorityError::ChainTooShort {
                len: chain_der.len(),
            });
        }
        let profile = SignatureProfile::for_key(signer.public_key())?;
        let chain = parse_chain(&chain_der)?;
        check_leaf(&chain[0], signer.public_key())?;
        check_issuers(&chain)?;

        let leaf = &chain[0];
        let tbs = leaf.tbs_certificate();
        let serial = Int::new(tbs.serial_number().as_bytes())
            .map_err(|e| AuthorityError::Encoding(e.to_string()))?;
        let sid = IssuerAndSerialNumber {
            issuer: tbs.issuer().clone(),
            serial_number: serial.clone(),
        };
        let signing_certificate = ALL_HASHES
            .map(|alg| signing_certificate_attribute(alg, &chain_der[0], &sid.issuer, &serial));
        let [a, b, c] = signing_certificate;
        let signing_certificate = [a?, b?, c?];
        let validity = chain
            .iter()
            .map(|cert| {
                let v = cert.tbs_certificate().validity();
                (v.not_before.to_system_time(), v.not_after.to_system_time())
            })
            .collect();
        Ok(TimestampAuthority {
            profile,
            leaf: Any::from_der(&chain_der[0]).map_err(certificate_error(0))?,
            tsa_name: GeneralName::DirectoryName(tbs.subject().clone()),
            sid,
            signing_certificate,
            validity,
            chain_der,
            signer,
            policy,
            accepted_policies: vec![policy],
            accuracy: accuracy.to_der(),
        })
    }

    /// Also accept requests naming one of `policies` (the token then carries the requested
    /// policy). Upstream's `--tsa-accepted-policy-oids`.
    pub fn with_accepted_policies(
        mut self,
        policies: impl IntoIterator<Item = ObjectIdentifier>,
    ) -> Self {
        for policy in policies {
            if !self.accepted_policies.contains(&policy) {
                self.accepted_policies.push(policy);
            }
        }
        self
    }

    /// Check that every certificate of the chain is valid at `time` (inclusive bounds).
    pub fn check_valid_at(&self, time: SystemTime) -> Result<(), AuthorityError> {
        match self
            .validity
            .iter()
            .position(|(not_before, not_after)| time < *not_before || time > *not_after)
        {
            Some(index) => Err(AuthorityError::NotValidAt { index }),
            None => Ok(()),
        }
    }

    /// The chain as given: DER certificates, signing certificate first.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }

    /// The default policy.
    pub fn policy(&self) -> ObjectIdentifier {
        self.policy
    }

    /// Whether a request naming `policy` would be granted.
    pub fn accepts_policy(&self, policy: &ObjectIdentifier) -> bool {
        self.accepted_policies.contains(policy)
    }

    /// The signer (for benchmarks comparing raw signing with issuing).
    pub fn signer(&self) -> &Arc<dyn Signer> {
        &self.signer
    }

    /// Issue a token for `request`: a DER `TimeStampResp` with status granted. `now` is the
    /// time to stamp (cut to whole seconds); `serial` is the token's serial number as unsigned
    /// big-endian bytes, which the caller keeps unique (see [`random_serial`]).
    pub fn respond(
        &self,
        request: &TimestampRequest,
        now: SystemTime,
        serial: &[u8],
    ) -> Result<Vec<u8>, IssueError> {
        let policy = request.policy().unwrap_or(self.policy);
        if !self.accepts_policy(&policy) {
            return Err(IssueError::UnacceptedPolicy(policy));
        }
        let serial = serial_int(serial)?;
        let whole_seconds = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| IssueError::TimeNotAvailable)?
            .as_secs();
        let datetime = DateTime::from_unix_duration(Duration::from_secs(whole_seconds))
            .map_err(|_| IssueError::TimeNotAvailable)?;

        let tst_info = TstInfo {
            version: 1,
            policy,
            message_imprint: MessageImprint {
                hash_algorithm: imprint_algorithm(request.hash_algorithm()),
                hashed_message: OctetString::new(request.hashed_message()).map_err(encoding)?,
            },
            serial_number: serial,
            gen_time: GeneralizedTime::from_date_time(datetime),
            accuracy: self.accuracy,
            ordering: false,
            nonce: request
                .nonce()
                .map(|n| n.to_int())
                .transpose()
                .map_err(encoding)?,
            tsa: Some(self.tsa_name.clone()),
            extensions: None,
        }
        .to_der()
        .map_err(encoding)?;

        let signed_attrs = self.signed_attributes(&tst_info, datetime, request)?;
        let to_be_signed = signed_attrs.to_der().map_err(encoding)?;
        let signature = self
            .signer
            .sign(&to_be_signed)
            .map_err(|e| IssueError::Signing(e.to_string()))?;

        let signer_info = SignerInfo {
            version: 1,
            sid: self.sid.clone(),
            digest_algorithm: self.profile.digest_algorithm.clone(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: self.profile.signature_algorithm.clone(),
            signature: OctetString::new(signature).map_err(encoding)?,
            unsigned_attrs: None,
        };
        let certificates = if request.cert_req() {
            Some(SetOfVec::from_iter([self.leaf.clone()]).map_err(encoding)?)
        } else {
            None
        };
        let signed_data = SignedData {
            version: 3,
            digest_algorithms: SetOfVec::from_iter([self.profile.digest_algorithm.clone()])
                .map_err(encoding)?,
            encap_content_info: EncapsulatedContentInfo {
                e_content_type: oid::TST_INFO,
                e_content: Some(OctetString::new(tst_info).map_err(encoding)?),
            },
            certificates,
            crls: None,
            signer_infos: SetOfVec::from_iter([signer_info]).map_err(encoding)?,
        };
        TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Granted as u8,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(ContentInfo {
                content_type: oid::SIGNED_DATA,
                content: Any::encode_from(&signed_data).map_err(encoding)?,
            }),
        }
        .to_der()
        .map_err(encoding)
    }

    /// A DER `TimeStampResp` with status `rejection`, `failure` as its `failInfo` and
    /// `status_text` (cut to [`crate::MAX_STATUS_TEXT`] bytes) as its `statusString`.
    pub fn reject(
        &self,
        failure: PkiFailureInfo,
        status_text: Option<&str>,
    ) -> Result<Vec<u8>, IssueError> {
        rejection_response(failure, status_text).map_err(encoding)
    }

    /// contentType, messageDigest, signingTime and signingCertificateV2, DER-sorted.
    fn signed_attributes(
        &self,
        tst_info: &[u8],
        signing_time: DateTime,
        request: &TimestampRequest,
    ) -> Result<SetOfVec<Attribute>, IssueError> {
        let attribute = |oid: ObjectIdentifier, value: Any| -> Result<Attribute, IssueError> {
            Ok(Attribute {
                oid,
                values: SetOfVec::from_iter([value]).map_err(encoding)?,
            })
        };
        let message_digest =
            OctetString::new(digest(self.profile.digest, tst_info)).map_err(encoding)?;
        SetOfVec::from_iter([
            attribute(
                oid::CONTENT_TYPE,
                Any::encode_from(&oid::TST_INFO).map_err(encoding)?,
            )?,
            attribute(
                oid::MESSAGE_DIGEST,
                Any::encode_from(&message_digest).map_err(encoding)?,
            )?,
            // UTCTime until 2049, GeneralizedTime after (RFC 5652 §11.3).
            attribute(
                oid::SIGNING_TIME,
                Any::encode_from(&Time::from(signing_time)).map_err(encoding)?,
            )?,
            self.signing_certificate[hash_index(request.hash_algorithm())].clone(),
        ])
        .map_err(encoding)
    }
}

fn serial_int(serial: &[u8]) -> Result<Int, IssueError> {
    let uint = Uint::new(serial).map_err(|_| IssueError::InvalidSerial)?;
    if uint.as_bytes().iter().all(|&b| b == 0) || uint.as_bytes().len() > SERIAL_BYTES {
        return Err(IssueError::InvalidSerial);
    }
    Ok(Int::from(uint))
}

fn signing_certificate_attribute(
    alg: HashAlgorithm,
    cert_der: &[u8],
    issuer: &x509_cert::name::Name,
    serial: &Int,
) -> Result<Attribute, AuthorityError> {
    let fail = |e: der::Error| AuthorityError::Encoding(e.to_string());
    // Left out for SHA-256, the DEFAULT; NULL parameters otherwise, as upstream writes it.
    let hash_algorithm = match alg {
        HashAlgorithm::Sha256 => None,
        other => Some(imprint_algorithm(other)),
    };
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm,
            cert_hash: OctetString::new(digest(alg, cert_der)).map_err(fail)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(issuer.clone())],
                serial_number: serial.clone(),
            }),
        }],
        policies: None,
    };
    Ok(Attribute {
        oid: oid::SIGNING_CERTIFICATE_V2,
        values: SetOfVec::from_iter([Any::encode_from(&value).map_err(fail)?]).map_err(fail)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_fields() {
        assert_eq!(
            Accuracy::ONE_SECOND.to_der(),
            Some(AccuracyDer {
                seconds: Some(1),
                millis: None,
                micros: None
            })
        );
        assert_eq!(Accuracy::UNSPECIFIED.to_der(), None);
        let a = Accuracy::from_duration(Duration::from_micros(2_003_004)).unwrap();
        assert_eq!(a, Accuracy::new(2, 3, 4).unwrap());
        assert_eq!(
            hex::encode(a.to_der().unwrap().to_der().unwrap()),
            "3009020102800103810104"
        );
        assert!(Accuracy::new(0, 1000, 0).is_err());
        assert!(Accuracy::from_duration(Duration::from_secs(1 << 33)).is_err());
    }

    #[test]
    fn serials() {
        let s = random_serial().unwrap();
        assert!(s[0] < 0x80);
        assert_ne!(random_serial().unwrap(), s);
        assert!(serial_int(&s).unwrap().as_bytes().len() <= SERIAL_BYTES);
        assert_eq!(serial_int(&[0, 0, 0x80]).unwrap().as_bytes(), [0, 0x80]);
        assert_eq!(serial_int(&[]), Err(IssueError::InvalidSerial));
        assert_eq!(serial_int(&[0, 0]), Err(IssueError::InvalidSerial));
        assert_eq!(serial_int(&[1; 21]), Err(IssueError::InvalidSerial));
        assert!(serial_int(&[0xff; 20]).is_ok());
    }
}
