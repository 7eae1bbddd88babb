#!/usr/bin/env node
// Runs oauth2-mock-server (installed by scripts/install-oauth2-mock-server) as an independent
// OpenID provider for Cairn's tests and local trials.
//
// Usage: node scripts/oidc-mock-server.mjs [--port N] [--alg RS256|ES256|...]
//   --port  port on 127.0.0.1 (default 0: any free port)
//   --alg   signing algorithm of the generated key (default RS256)
//
// When ready it prints one line, `issuer http://127.0.0.1:PORT`, on stdout. It stops when its
// standard input closes, or on SIGINT/SIGTERM.
//
// Tokens: POST <issuer>/token with grant_type=client_credentials; every other form field
// becomes a claim (aud, sub, email, ...). email_verified=true|false becomes a JSON boolean.
//   curl -s -X POST http://127.0.0.1:PORT/token -d grant_type=client_credentials \
//        -d aud=sigstore -d sub=alice -d email=alice@example.com -d email_verified=true
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir =
  process.env.OAUTH2_MOCK_SERVER_DIR ??
  join(here, "..", ".tools", "oauth2-mock-server", "node_modules", "oauth2-mock-server");

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
const { OAuth2Server } = await import(pathToFileURL(join(packageDir, manifest.main)).href);

const server = new OAuth2Server();
await server.issuer.keys.generate(option("--alg", "RS256"));

const RESERVED = new Set(["grant_type", "scope", "client_id", "client_secret"]);
server.service.on("beforeTokenSigning", (token, req) => {
  for (const [name, value] of Object.entries(req.body ?? {})) {
    if (RESERVED.has(name)) continue;
    if (name === "email_verified") {
      token.payload[name] = value === "true";
    } else {
      token.payload[name] = value;
    }
  }
});

await server.start(Number(option("--port", "0")), "127.0.0.1");
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
process.stdout.write(`issuer ${server.issuer.url}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
