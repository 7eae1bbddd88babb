// Signs (or attests) a file with sigstore-js against a Cairn instance, as an application
// using the `sigstore` library would: fulcioURL / rekorURL / tsaServerURL options, Rekor v1.
//
// Usage: node js-sign.mjs sign|attest BASE_URL TOKEN FILE OUT_BUNDLE
// `attest` puts FILE (an in-toto statement) into a DSSE envelope.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";

const require = createRequire(`${process.env.SIGSTORE_JS_MODULES}/`);
const sigstore = require("sigstore");

const [mode, url, token, file, out] = process.argv.slice(2);
const options = { fulcioURL: url, rekorURL: url, tsaServerURL: url, identityToken: token };
const data = readFileSync(file);
const bundle =
  mode === "attest"
    ? await sigstore.attest(data, "application/vnd.in-toto+json", options)
    : await sigstore.sign(data, options);
writeFileSync(out, JSON.stringify(bundle));
