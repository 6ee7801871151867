// The local identity provider: a real OpenID Provider (npm `oidc-provider`, installed by
// scripts/lib.sh into .idp) for the dev stack and the tests. Its login and consent
// pages are the package's development forms, so a sign-in completes with plain HTTP.
//
//   node scripts/local_idp.mjs [--port N] [--clients FILE]
//
// Prints `LOCAL_IDP <issuer>` once listening. Besides OpenID Connect it serves, for the
// people driving it (never exposed beyond 127.0.0.1):
//   PUT  /__accounts/<id>  {"email", "email_verified", "name", "groups"}: a person's claims
//        (unregistered ids sign in with id = email, verified, no groups)
//   POST /__clients        {"redirect_uris": [...]}: registers a client, answers its
//                          client_id and client_secret
//   POST /__rotate         signs with a new key from now on, keeping the old one published
// (Both rebuild the provider, whose clients and keys are fixed at construction.)
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const port = Number(option('--port') ?? 0);
const clients = option('--clients') ? JSON.parse(readFileSync(option('--clients'), 'utf8')) : [];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const moduleUrl = pathToFileURL(join(process.env.LOCAL_IDP_MODULES ?? join(root, '.idp'), 'node_modules/oidc-provider/lib/index.js'));
const { default: Provider } = await import(moduleUrl.href);

const accounts = new Map();
const newKey = () => ({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' });
let keys = [newKey()];
let provider;
let issuer;

function build() {
  provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: ['local-idp-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
    },
    scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
    claims: { email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // The claims of the granted scopes go into the ID token, as Entra and Okta can be told to.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const account = accounts.get(id) ?? { email: id, email_verified: true };
      return { accountId: id, claims: () => ({ sub: id, ...account }) };
    },
  });
  provider.proxy = false;
}

function readJson(request) {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => { try { resolve(JSON.parse(body || '{}')); } catch (e) { reject(e); } });
  });
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url, issuer);
  if (request.method === 'PUT' && url.pathname.startsWith('/__accounts/')) {
    accounts.set(decodeURIComponent(url.pathname.slice('/__accounts/'.length)), await readJson(request));
    response.writeHead(204).end();
  } else if (request.method === 'POST' && url.pathname === '/__clients') {
    const { redirect_uris: redirectUris } = await readJson(request);
    const client = {
      client_id: randomUUID(),
      client_secret: randomBytes(32).toString('base64url'),
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    };
    clients.push(client);
    build();
    response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(client));
  } else if (request.method === 'POST' && url.pathname === '/__rotate') {
    keys = [newKey(), ...keys];
    build();
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kid: keys[0].kid }));
  } else {
    provider.callback()(request, response);
  }
});

server.listen(port, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  build();
  console.log(`LOCAL_IDP ${issuer}`);
});
