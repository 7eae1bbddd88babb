//! Parsers of configuration and token input never panic, whatever they are given.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use oidc::{ClaimPath, Claims, IssuerConfig, IssuerRegistry, IssuerType, Template, ValueTemplate};
use proptest::prelude::*;
use serde_json::json;

proptest! {
    #[test]
    fn template_parsing_never_panics(source in "(\\{\\{|\\}\\}|[-. ()\"`a-z/*éß]|if|else|end|eq|index){0,40}") {
        if let Ok(template) = Template::parse(&source) {
            let data: BTreeMap<String, String> = [("a".to_owned(), "x".to_owned())].into();
            let _ = template.render(&data);
        }
        let _ = ValueTemplate::parse(&source);
    }

    #[test]
    fn claim_paths_never_panic(source in "[$.\\['\"\\]a-zé]{0,20}") {
        if let Ok(path) = ClaimPath::parse(&source) {
            let claims = Claims::from_map(json!({"a": {"b": 1}}).as_object().cloned().unwrap());
            let _ = path.lookup(&claims);
        }
    }

    #[test]
    fn principals_never_panic(sub in "\\PC{0,40}", email in "\\PC{0,40}", ns in "\\PC{0,20}") {
        let mut uri = IssuerConfig::exact("https://a.example.com", IssuerType::Uri);
        uri.subject_domain = Some("https://example.com".into());
        let mut user = IssuerConfig::exact("https://b.example.com", IssuerType::Username);
        user.subject_domain = Some("example.com".into());
        let mut spiffe = IssuerConfig::exact("https://c.example.com", IssuerType::Spiffe);
        spiffe.spiffe_trust_domain = Some("example.com".into());
        let mut ci = IssuerConfig::exact("https://d.example.com", IssuerType::CiProvider);
        ci.ci_provider = Some("gitlab-pipeline".into());
        let issuers = vec![
            uri, user, spiffe, ci,
            IssuerConfig::exact("https://e.example.com", IssuerType::Email),
            IssuerConfig::exact("https://f.example.com", IssuerType::Kubernetes),
            IssuerConfig::exact("https://g.example.com", IssuerType::ChainguardIdentity),
            IssuerConfig::exact("https://h.example.com", IssuerType::GithubWorkflow),
        ];
        let registry = IssuerRegistry::new(issuers, BTreeMap::new()).unwrap();
        for issuer in registry.issuers() {
            let iss = issuer.config().url.clone().unwrap();
            let claims = Claims::from_map(json!({
                "iss": iss, "sub": sub, "email": email, "email_verified": true,
                "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": sub}},
                "ci_config_ref_uri": sub, "project_path": ns, "ref_type": "branch", "ref": email,
            }).as_object().cloned().unwrap());
            if let Ok(p) = issuer.principal(&claims) {
                prop_assert!(!p.challenges.is_empty());
                if let oidc::SubjectAltName::Uri(uri) = &p.san {
                    prop_assert!(uri.is_ascii());
                }
            }
        }
    }
}
