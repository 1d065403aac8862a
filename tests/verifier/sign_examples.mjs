// Test fixtures, not part of the check: an issuer of the tests' own, made with the same
// libraries, so that the tests can prove the verifier's did:web and status list paths before
// (and apart from) the app's credentials. Given a base URL, prints {didDocument,
// statusList, current, revoked}: a DID document with a new Ed25519 key, and two signed
// credentials whose status entries point at the signed status list, the second's bit set.
//
//   node sign_examples.mjs http://127.0.0.1:5000

import * as Ed25519Multikey from '@digitalcredentials/ed25519-multikey';
import {contexts as credentialsV2Contexts} from '@digitalcredentials/credentials-v2-context';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {issue} from '@digitalcredentials/vc';
import {createCredential, createList} from '@digitalcredentials/vc-bitstring-status-list';

const base = new URL(process.argv[2]).origin;
const did = `did:web:${new URL(base).host.replace(':', '%3A')}`;
const key = await Ed25519Multikey.generate({id: `${did}#key-1`, controller: did});
const documentLoader = async (url) => {
  if(credentialsV2Contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: credentialsV2Contexts.get(url)};
  }
  throw new Error(`sign_examples.mjs loads no "${url}"`);
};
const sign = (credential) => issue({
  credential,
  suite: new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022}),
  documentLoader,
});

const statusListUrl = `${base}/ob/status/1.json`;
const list = await createList({length: 131072});
list.setStatus(7, true);
const statusList = await sign({
  ...await createCredential({id: statusListUrl, list, statusPurpose: 'revocation'}),
  issuer: did,
  validFrom: '2025-01-01T00:00:00Z',
});
const example = (index) => sign({
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  id: `urn:example:${index}`,
  type: ['VerifiableCredential'],
  issuer: {id: did, name: 'The tests'},
  validFrom: '2025-01-01T00:00:00Z',
  name: `Example ${index}`,
  credentialSubject: {id: `urn:example:subject:${index}`},
  credentialStatus: {
    id: `${statusListUrl}#${index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: 'revocation',
    statusListIndex: String(index),
    statusListCredential: statusListUrl,
  },
});
const {publicKeyMultibase} = await key.export({publicKey: true, includeContext: true});
const didDocument = {
  '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
  id: did,
  verificationMethod: [{id: `${did}#key-1`, type: 'Multikey', controller: did, publicKeyMultibase}],
  assertionMethod: [`${did}#key-1`],
};
process.stdout.write(JSON.stringify({
  didDocument, statusList, current: await example(3), revoked: await example(7),
}) + '\n');
