// A real OpenID provider (oidc-provider, the certified Node implementation) for the tests of
// batchflow_service.auth.oidc. Loopback only, in memory, no passwords.
//
//   node provider.mjs --port 0 [--issuer URL] [--keys FILE] [--dashboard-redirect URI]
//
// Prints one line `ready <url> <issuer>` on stdout once it listens. Then:
// - the authorization-code flow (+PKCE) works for the clients below; the login page takes a
//   user name and a JSON object of claims (e.g. {"groups": ["admin"]}) and the consent page
//   grants what the client asked for, so a test can drive both pages with plain form posts;
// - a `resource` (RFC 8707) in the request makes the access token a JWT whose aud is that
//   resource and which carries the user's claims;
// - POST /_test/rotate puts new signing keys first (the old ones stay published);
// - GET /_test/stats answers {"jwks": <how many times the JWKS was fetched>}.
// --dashboard-redirect URI adds the public client `batchflow-dashboard` (no secret, PKCE)
// that redirects there: the dashboard's OpenID sign-in.
// --keys FILE keeps the private keys in FILE (read if it exists), so two instances with
// different issuers can share keys.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    issuer: { type: 'string' },
    keys: { type: 'string' },
    'dashboard-redirect': { type: 'string' },
  },
});

const REDIRECT_URI = 'http://127.0.0.1/callback';
const RESOURCE_SCOPE = 'batchflow';
// One client per signing algorithm, and one whose tokens live a single second.
const CLIENTS = [
  { client_id: 'batchflow-tests', alg: 'RS256', ttl: 600 },
  { client_id: 'batchflow-tests-es256', alg: 'ES256', ttl: 600 },
  { client_id: 'batchflow-tests-short', alg: 'RS256', ttl: 1 },
];
const clientById = new Map(CLIENTS.map((client) => [client.client_id, client]));

// accountId -> the claims given on the login page
const accounts = new Map();
let jwksRequests = 0;

function newKeys() {
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return [
    { ...rsa.export({ format: 'jwk' }), kid: `rsa-${crypto.randomUUID()}`, alg: 'RS256', use: 'sig' },
    { ...ec.export({ format: 'jwk' }), kid: `ec-${crypto.randomUUID()}`, alg: 'ES256', use: 'sig' },
  ];
}

let keys;
if (args.keys && fs.existsSync(args.keys)) {
  keys = JSON.parse(fs.readFileSync(args.keys, 'utf8'));
} else {
  keys = newKeys();
  saveKeys();
}

function saveKeys() {
  if (args.keys) fs.writeFileSync(args.keys, JSON.stringify(keys), { mode: 0o600 });
}

function clientOf(ctx, client) {
  return clientById.get(client?.clientId ?? ctx?.oidc?.client?.clientId) ?? CLIENTS[0];
}

// The dashboard's client: public (a browser keeps no secret), PKCE, its one redirect URI.
const DASHBOARD_CLIENT = args['dashboard-redirect'] && {
  client_id: 'batchflow-dashboard',
  token_endpoint_auth_method: 'none',
  redirect_uris: [args['dashboard-redirect']],
  post_logout_redirect_uris: [args['dashboard-redirect']],
  grant_types: ['authorization_code'],
  response_types: ['code'],
};

function buildProvider(issuer) {
  const provider = new Provider(issuer, {
    clients: [
      ...CLIENTS.map(({ client_id, alg }) => ({
        client_id,
        client_secret: `${client_id}-secret`,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: alg,
      })),
      ...(DASHBOARD_CLIENT ? [DASHBOARD_CLIENT] : []),
    ],
    // The dashboard's page calls the token endpoint from the service's origin.
    clientBasedCORS: () => true,
    jwks: { keys },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', RESOURCE_SCOPE],
    claims: { openid: ['sub'], profile: ['groups', 'realm_access', 'preferred_username'] },
    conformIdTokenClaims: false,
    async findAccount(_ctx, accountId) {
      if (!accounts.has(accountId)) return undefined;
      return { accountId, claims: () => ({ sub: accountId, ...accounts.get(accountId) }) };
    },
    async extraTokenClaims(_ctx, token) {
      return token.accountId ? accounts.get(token.accountId) : undefined;
    },
    ttl: {
      AccessToken: (ctx, _token, client) => clientOf(ctx, client).ttl,
      IdToken: (ctx, _token, client) => clientOf(ctx, client).ttl,
      AuthorizationCode: 60,
      Grant: 600,
      Interaction: 600,
      Session: 600,
    },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => ({
          audience: resource,
          scope: RESOURCE_SCOPE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: clientOf(ctx, client).ttl,
          jwt: { sign: { alg: clientOf(ctx, client).alg } },
        }),
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));
  return provider;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function page(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><body>${html}</body></html>`);
}

// The login and consent pages: /interaction/<uid> shows a form, the form posts back to
// /interaction/<uid>/login or /interaction/<uid>/confirm.
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, 'interaction mismatch');
  const prompt = details.prompt.name;
  if (req.method === 'GET') {
    const fields = prompt === 'login'
      ? '<input name="login"><textarea name="claims">{}</textarea>'
      : '';
    return page(res, 200, `<form method="post" action="/interaction/${uid}/${prompt === 'login' ? 'login' : 'confirm'}">${fields}<button>continue</button></form>`);
  }
  const form = await readForm(req);
  if (action === 'login' && prompt === 'login') {
    const login = form.get('login');
    if (!login) return page(res, 400, 'login is empty');
    accounts.set(login, JSON.parse(form.get('claims') || '{}'));
    return provider.interactionFinished(req, res, { login: { accountId: login } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (action === 'confirm' && prompt === 'consent') {
    const { params, session } = details;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  return page(res, 400, `unexpected ${action} for prompt ${prompt}`);
}

let provider;
let handle;

function install(issuer) {
  provider = buildProvider(issuer);
  handle = provider.callback();
}

const server = http.createServer(async (req, res) => {
  try {
    const { pathname } = new URL(req.url, 'http://localhost');
    const match = pathname.match(/^\/interaction\/([^/]+)(?:\/(login|confirm))?$/);
    if (match) return await interaction(provider, req, res, match[1], match[2]);
    if (pathname === '/_test/rotate' && req.method === 'POST') {
      keys = [...newKeys(), ...keys];
      saveKeys();
      install(provider.issuer);
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ kids: keys.map((key) => key.kid) }));
    }
    if (pathname === '/_test/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ jwks: jwksRequests }));
    }
    if (pathname === '/jwks') jwksRequests += 1;
    return handle(req, res);
  } catch (error) {
    console.error(error);
    if (!res.headersSent) page(res, 500, 'error');
    else res.end();
  }
});

server.listen(Number(args.port), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  install(args.issuer ?? url);
  console.log(`ready ${url} ${provider.issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
// stdin is a pipe from the test process: when that process dies, even by SIGKILL, the pipe
// closes and the provider goes with it.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
