//! Where to sign: Fulcio, Rekor and (optionally) a TSA, from a ClientTrustConfig / SigningConfig
//! or from explicit URLs.

use thiserror::Error;
use trust_root::{ClientTrustConfig, Service, SigningConfig};

use crate::http::{HttpError, normalize_base_url};

/// The service URLs a signing operation uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningTargets {
    /// Fulcio base URL (not needed when signing with a managed key).
    pub fulcio_url: Option<String>,
    /// Rekor v1 base URL.
    pub rekor_url: String,
    /// Full URL of an RFC 3161 TSA, if time-stamps are wanted.
    pub tsa_url: Option<String>,
}

/// Why no signing targets could be chosen.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TargetsError {
    /// The trust config does not parse.
    #[error("trust config")]
    TrustFile(#[from] trust_root::TrustFileError),
    /// No usable Rekor v1 service.
    #[error(
        "the signing config lists no Rekor log with majorApiVersion 1 that is valid now (Rekor v2 is not supported by this client)"
    )]
    NoRekor,
    /// A `validFor` time is not RFC 3339.
    #[error("the signing config has an unreadable time {0:?}")]
    BadTime(String),
    /// A URL is not usable.
    #[error(transparent)]
    Url(#[from] HttpError),
}

impl SigningTargets {
    /// Explicit URLs (all checked to be absolute HTTP(S) URLs).
    pub fn explicit(
        fulcio_url: Option<&str>,
        rekor_url: &str,
        tsa_url: Option<&str>,
    ) -> Result<SigningTargets, TargetsError> {
        Ok(SigningTargets {
            fulcio_url: fulcio_url.map(normalize_base_url).transpose()?,
            rekor_url: normalize_base_url(rekor_url)?,
            tsa_url: tsa_url.map(normalize_base_url).transpose()?,
        })
    }

    /// From the bytes of a ClientTrustConfig (`trust_config.json`), at `now` (unix seconds).
    pub fn from_trust_config_json(json: &[u8], now: i64) -> Result<SigningTargets, TargetsError> {
        let config = ClientTrustConfig::from_json(json)?;
        SigningTargets::from_signing_config(&config.signing_config, now)
    }

    /// From a SigningConfig v0.2 at `now`: the newest valid Fulcio (`caUrls`, version 1), the
    /// newest valid Rekor with `majorApiVersion` 1, and the newest valid TSA (version 1) if any.
    pub fn from_signing_config(
        config: &SigningConfig,
        now: i64,
    ) -> Result<SigningTargets, TargetsError> {
        let fulcio = select(&config.ca_urls, 1, now)?;
        let rekor = select(&config.rekor_tlog_urls, 1, now)?.ok_or(TargetsError::NoRekor)?;
        let tsa = select(&config.tsa_urls, 1, now)?;
        SigningTargets::explicit(fulcio.as_deref(), &rekor, tsa.as_deref())
    }
}

/// The URL of the service with `version` whose `validFor` holds `now` and whose start is the
/// latest (clients prefer the newest service).
fn select(services: &[Service], version: u32, now: i64) -> Result<Option<String>, TargetsError> {
    let mut best: Option<(i64, &Service)> = None;
    for service in services {
        if service.major_api_version != version {
            continue;
        }
        let start = parse_rfc3339(&service.valid_for.start)?;
        let end = service
            .valid_for
            .end
            .as_deref()
            .map(parse_rfc3339)
            .transpose()?;
        if start > now || end.is_some_and(|end| end < now) {
            continue;
        }
        if best.is_none_or(|(best_start, _)| start > best_start) {
            best = Some((start, service));
        }
    }
    Ok(best.map(|(_, service)| service.url.clone()))
}

/// Unix seconds of an RFC 3339 UTC time (`2026-01-01T00:00:00Z`, fractional seconds ignored).
pub fn parse_rfc3339(text: &str) -> Result<i64, TargetsError> {
    let bad = || TargetsError::BadTime(text.to_owned());
    let whole = match text.split_once('.') {
        Some((seconds, fraction)) => {
            let digits = fraction.strip_suffix('Z').ok_or_else(bad)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            format!("{seconds}Z")
        }
        None => text.to_owned(),
    };
    let time: der::DateTime = whole.parse().map_err(|_| bad())?;
    i64::try_from(time.unix_duration().as_secs()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use trust_root::TimeRange;

    fn service(url: &str, version: u32, start: &str, end: Option<&str>) -> Service {
        Service {
            url: url.to_owned(),
            major_api_version: version,
            valid_for: TimeRange {
                start: start.to_owned(),
                end: end.map(str::to_owned),
            },
            operator: "op".to_owned(),
        }
    }

    #[test]
    fn newest_valid_v1_services_are_chosen() {
        let now = parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        let config = SigningConfig {
            media_type: trust_root::SIGNING_CONFIG_MEDIA_TYPE.to_owned(),
            ca_urls: vec![service("http://ca", 1, "2026-01-01T00:00:00Z", None)],
            oidc_urls: vec![],
            rekor_tlog_urls: vec![
                service("http://old", 1, "2025-01-01T00:00:00Z", None),
                service("http://new", 1, "2026-01-01T00:00:00.5Z", None),
                service("http://v2", 2, "2026-02-01T00:00:00Z", None),
                service("http://future", 1, "2027-01-01T00:00:00Z", None),
                service(
                    "http://expired",
                    1,
                    "2026-03-01T00:00:00Z",
                    Some("2026-04-01T00:00:00Z"),
                ),
            ],
            rekor_tlog_config: None,
            tsa_urls: vec![],
            tsa_config: None,
        };
        let targets = SigningTargets::from_signing_config(&config, now).unwrap();
        assert_eq!(targets.rekor_url, "http://new");
        assert_eq!(targets.fulcio_url.as_deref(), Some("http://ca"));
        assert_eq!(targets.tsa_url, None);

        let only_v2 = SigningConfig {
            rekor_tlog_urls: vec![service("http://v2", 2, "2026-02-01T00:00:00Z", None)],
            ..config
        };
        assert!(matches!(
            SigningTargets::from_signing_config(&only_v2, now),
            Err(TargetsError::NoRekor)
        ));
    }

    #[test]
    fn times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z").unwrap(), 60);
        assert!(parse_rfc3339("2026-01-01T00:00:00+01:00").is_err());
        assert!(parse_rfc3339("2026-01-01T00:00:00.Z").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
