// Verifies a bundle offline with @sigstore/verify against a trusted_root.json file (the
// sigstore-js CLI can only use TUF, so this calls the verification library directly).
//
// Usage: node js-verify.mjs TRUSTED_ROOT BUNDLE IDENTITY ISSUER [FILE]
// Exit 0 and "verified" on success; exit 1 and the reason on stderr otherwise. FILE is the
// signed artifact for message signatures (omit it for DSSE bundles).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(`${process.env.SIGSTORE_JS_MODULES}/`);
const { Verifier, toTrustMaterial, toSignedEntity } = require("@sigstore/verify");
const { TrustedRoot } = require("@sigstore/protobuf-specs");
const { bundleFromJSON } = require("@sigstore/bundle");

const [rootPath, bundlePath, identity, issuer, file] = process.argv.slice(2);
try {
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath))));
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath)));
  const verifier = new Verifier(trust, { ctlogThreshold: 1, tlogThreshold: 1 });
  const entity = toSignedEntity(bundle, file ? readFileSync(file) : undefined);
  const escaped = identity.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  verifier.verify(entity, {
    subjectAlternativeName: new RegExp(`^${escaped}$`),
    extensions: { issuer },
  });
  console.log("verified");
} catch (e) {
  console.error(`verification failed: ${e.code ?? ""} ${e.message}`);
  process.exit(1);
}
