//! RFC 3161 timestamps: the token is a CMS `SignedData` over a `TSTInfo`, signed by a
//! timestamp authority of the trusted root, whose message imprint is the hash of the bundle's
//! signature bytes (RFC 3161 §2.4.2, RFC 5652 §5.4 and §5.6).

use const_oid::ObjectIdentifier;
use der::asn1::OctetString;
use der::{Decode, Encode};
use keys::PublicKey;
use sha2::Digest as _;
use tsa::asn1::{
    ContentInfo, SignedData, SignerInfo, SigningCertificateV2, TimeStampResp, TstInfo, oid,
};
use x509_cert::Certificate;

use crate::trust::Authority;

/// A verified timestamp.
pub(crate) struct VerifiedTimestamp {
    /// `genTime` as Unix seconds.
    pub(crate) unix: i64,
    /// The issuing authority's URI.
    pub(crate) authority: String,
}

/// `rsaEncryption`: some CMS signers name the key algorithm instead of the signature
/// algorithm (RFC 5754 §3.2).
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `id-ecPublicKey`, likewise.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// Hash `data` with the digest algorithm `alg`.
pub(crate) fn hash_with(alg: &ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    match *alg {
        oid::SHA256 => Some(sha2::Sha256::digest(data).to_vec()),
        oid::SHA384 => Some(sha2::Sha384::digest(data).to_vec()),
        oid::SHA512 => Some(sha2::Sha512::digest(data).to_vec()),
        _ => None,
    }
}

/// The X.509 signature algorithm a signer info's signature is checked with.
fn signature_algorithm(si: &SignerInfo) -> ObjectIdentifier {
    let digest = si.digest_algorithm.oid;
    match si.signature_algorithm.oid {
        EC_PUBLIC_KEY => match digest {
            oid::SHA384 => oid::ECDSA_WITH_SHA384,
            oid::SHA512 => ECDSA_WITH_SHA512,
            _ => oid::ECDSA_WITH_SHA256,
        },
        RSA_ENCRYPTION => match digest {
            oid::SHA384 => SHA384_WITH_RSA,
            oid::SHA512 => SHA512_WITH_RSA,
            _ => SHA256_WITH_RSA,
        },
        other => other,
    }
}

/// Parse the stored bytes: a `TimeStampResp` (what clients store), or a bare token.
fn token(der_bytes: &[u8]) -> Result<ContentInfo, String> {
    match TimeStampResp::from_der(der_bytes) {
        Ok(resp) => {
            // granted (0) or grantedWithMods (1).
            if resp.status.status > 1 {
                return Err(format!(
                    "the TSA did not grant it (status {})",
                    resp.status.status
                ));
            }
            resp.time_stamp_token
                .ok_or_else(|| "the response carries no token".to_owned())
        }
        Err(resp_err) => ContentInfo::from_der(der_bytes)
            .map_err(|_| format!("not a DER TimeStampResp: {resp_err}")),
    }
}

/// One attribute's single value.
fn single_attribute(
    attrs: &[x509_cert::attr::Attribute],
    wanted: ObjectIdentifier,
) -> Result<Option<&der::Any>, String> {
    let mut found = attrs.iter().filter(|a| a.oid == wanted);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() || attr.values.len() != 1 {
        return Err(format!(
            "signed attribute {wanted} must appear once with one value"
        ));
    }
    Ok(attr.values.iter().next())
}

fn same_signer(cert: &Certificate, si: &SignerInfo) -> bool {
    let tbs = cert.tbs_certificate();
    tbs.issuer() == &si.sid.issuer
        && tbs.serial_number().as_bytes() == si.sid.serial_number.as_bytes()
}

/// Verify one timestamp over `signature` against the trusted timestamp authorities.
pub(crate) fn verify(
    stored: &[u8],
    signature: &[u8],
    tsas: &[Authority],
) -> Result<VerifiedTimestamp, String> {
    let token = token(stored)?;
    if token.content_type != oid::SIGNED_DATA {
        return Err(format!(
            "the token is {} content, not SignedData",
            token.content_type
        ));
    }
    let signed_data: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("malformed SignedData: {e}"))?;
    let encap = &signed_data.encap_content_info;
    if encap.e_content_type != oid::TST_INFO {
        return Err("the token does not encapsulate a TSTInfo".to_owned());
    }
    let tst_der = encap
        .e_content
        .as_ref()
        .ok_or_else(|| "the token has no TSTInfo content".to_owned())?
        .as_bytes();
    let tst = TstInfo::from_der(tst_der).map_err(|e| format!("malformed TSTInfo: {e}"))?;

    // The imprint is the hash of the bundle's signature.
    let imprint = &tst.message_imprint;
    let expected = hash_with(&imprint.hash_algorithm.oid, signature).ok_or_else(|| {
        format!(
            "unsupported message imprint hash {}",
            imprint.hash_algorithm.oid
        )
    })?;
    if imprint.hashed_message.as_bytes() != expected.as_slice() {
        return Err("its message imprint is not the hash of the bundle's signature".to_owned());
    }

    let mut signers = signed_data.signer_infos.iter();
    let (Some(si), None) = (signers.next(), signers.next()) else {
        return Err("the token must have exactly one signer".to_owned());
    };
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| "the signer has no signed attributes".to_owned())?;
    let attr_list: Vec<_> = attrs.iter().cloned().collect();
    let content_type = single_attribute(&attr_list, oid::CONTENT_TYPE)?
        .ok_or_else(|| "no contentType signed attribute".to_owned())?;
    if content_type.decode_as::<ObjectIdentifier>().ok() != Some(oid::TST_INFO) {
        return Err("the contentType signed attribute is not id-ct-TSTInfo".to_owned());
    }
    let message_digest = single_attribute(&attr_list, oid::MESSAGE_DIGEST)?
        .ok_or_else(|| "no messageDigest signed attribute".to_owned())?
        .decode_as::<OctetString>()
        .map_err(|_| "malformed messageDigest attribute".to_owned())?;
    let content_digest = hash_with(&si.digest_algorithm.oid, tst_der)
        .ok_or_else(|| format!("unsupported digest algorithm {}", si.digest_algorithm.oid))?;
    if message_digest.as_bytes() != content_digest.as_slice() {
        return Err("the messageDigest attribute is not the hash of the TSTInfo".to_owned());
    }
    let signed_bytes = attrs
        .to_der()
        .map_err(|e| format!("cannot re-encode the signed attributes: {e}"))?;
    let signing_certificate = single_attribute(&attr_list, oid::SIGNING_CERTIFICATE_V2)?
        .map(|any| {
            any.decode_as::<SigningCertificateV2>()
                .map_err(|_| "malformed signingCertificateV2 attribute".to_owned())
        })
        .transpose()?;

    let gen_time = i64::try_from(tst.gen_time.to_unix_duration().as_secs())
        .map_err(|_| "genTime out of range".to_owned())?;
    let embedded: Vec<Certificate> = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.iter())
        .filter_map(|any| any.to_der().ok())
        .filter_map(|der| Certificate::from_der(&der).ok())
        .collect();

    let mut last_error = "no trusted timestamp authority's certificate signed it".to_owned();
    for authority in tsas {
        let (Some(leaf), Some(leaf_der)) = (authority.certs.first(), authority.ders.first()) else {
            continue;
        };
        if !same_signer(leaf, si) {
            continue;
        }
        match check_authority(
            authority,
            leaf,
            leaf_der,
            si,
            &signed_bytes,
            signing_certificate.as_ref(),
            &embedded,
            gen_time,
        ) {
            Ok(()) => {
                return Ok(VerifiedTimestamp {
                    unix: gen_time,
                    authority: authority.uri.clone(),
                });
            }
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

#[allow(clippy::too_many_arguments)]
fn check_authority(
    authority: &Authority,
    leaf: &Certificate,
    leaf_der: &[u8],
    si: &SignerInfo,
    signed_bytes: &[u8],
    signing_certificate: Option<&SigningCertificateV2>,
    embedded: &[Certificate],
    gen_time: i64,
) -> Result<(), String> {
    // An embedded certificate naming the signer must be the authority's.
    for cert in embedded.iter().filter(|c| same_signer(c, si)) {
        if cert.to_der().ok().as_deref() != Some(leaf_der) {
            return Err("the embedded signing certificate is not the trusted one".to_owned());
        }
    }
    if let Some(ess) = signing_certificate {
        let first = ess
            .certs
            .first()
            .ok_or_else(|| "empty signingCertificateV2 attribute".to_owned())?;
        let alg = first.hash_algorithm.as_ref().map_or(oid::SHA256, |a| a.oid);
        let hash = hash_with(&alg, leaf_der)
            .ok_or_else(|| format!("unsupported ESSCertIDv2 hash {alg}"))?;
        if first.cert_hash.as_bytes() != hash.as_slice() {
            return Err("signingCertificateV2 names another certificate".to_owned());
        }
    }
    let spki = leaf
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| e.to_string())?;
    let key = PublicKey::from_spki_der(&spki).map_err(|e| format!("TSA key: {e}"))?;
    pki::verify_x509_signature(
        &key,
        signature_algorithm(si),
        signed_bytes,
        si.signature.as_bytes(),
    )
    .map_err(|e| format!("the token signature does not verify: {e}"))?;
    if !authority.valid_for.contains(gen_time) {
        return Err(format!(
            "genTime {} is outside the timestamp authority's validity",
            crate::time::format_unix(gen_time)
        ));
    }
    let chain = pki::CertificateChain::from_der_certificates(authority.ders.clone())
        .map_err(|e| format!("TSA chain: {e}"))?;
    pki::validate_timestamping_chain(&chain, &key, gen_time)
        .map_err(|e| format!("TSA chain at genTime: {e}"))?;
    Ok(())
}
