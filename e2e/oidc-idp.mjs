#!/usr/bin/env node
// A real OpenID Provider (the OpenID Certified `oidc-provider`) on loopback, for end-to-end
// tests and for trying organization SSO locally. One confidential client, users from a JSON
// file, and a plain-HTML login form (no JavaScript) that a test harness can drive over HTTP.
//
//   node e2e/oidc-idp.mjs --port 9400 --client-id ID --client-secret SECRET \
//        --redirect-uri URL [--users e2e/users.json] [--id-token-alg RS256|PS256|ES256]
//   node e2e/oidc-idp.mjs --config config.json   (same keys, camelCase: clientId, redirectUri, …)
//
// Every option also reads OIDC_IDP_<NAME> from the environment (OIDC_IDP_CLIENT_ID, …).
// Prints `READY <issuer-url>` on stdout once it accepts connections.

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));

function options() {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string' },
      users: { type: 'string' },
      'id-token-alg': { type: 'string' },
    },
  });
  const file = values.config ?? process.env.OIDC_IDP_CONFIG;
  const config = file ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const pick = (flag, key) =>
    values[flag] ?? process.env[`OIDC_IDP_${flag.toUpperCase().replaceAll('-', '_')}`] ?? config[key];
  const opts = {
    host: pick('host', 'host') ?? '127.0.0.1',
    port: Number(pick('port', 'port') ?? 0),
    clientId: pick('client-id', 'clientId'),
    clientSecret: pick('client-secret', 'clientSecret'),
    redirectUri: pick('redirect-uri', 'redirectUri'),
    users: config.users ?? JSON.parse(readFileSync(pick('users', 'usersFile') ?? join(here, 'users.json'), 'utf8')),
    idTokenAlg: pick('id-token-alg', 'idTokenAlg') ?? 'RS256',
  };
  for (const [key, value] of Object.entries({ clientId: opts.clientId, clientSecret: opts.clientSecret, redirectUri: opts.redirectUri })) {
    if (!value) {
      console.error(`oidc-idp: missing ${key} (--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} or config file)`);
      process.exit(2);
    }
  }
  return opts;
}

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body style="font-family:sans-serif;max-width:28em;margin:3em auto">${body}</body></html>`;
}

function loginForm(uid, clientId, error) {
  return page('Sign in', `<h1>Test IdP: sign in</h1>
<p>to continue to <code>${escape(clientId)}</code></p>
${error ? `<p role="alert" style="color:#b00">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label>Username or email <input name="username" autofocus></label><br>
  <label>Password <input name="password" type="password"></label><br>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort">
  <button type="submit">Cancel</button>
</form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function signingKeys() {
  const jwk = (type, options, alg) => {
    const { privateKey } = generateKeyPairSync(type, options);
    return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` };
  };
  return [
    jwk('rsa', { modulusLength: 2048 }, 'RS256'),
    jwk('rsa', { modulusLength: 2048 }, 'PS256'),
    jwk('ec', { namedCurve: 'P-256' }, 'ES256'),
  ];
}

async function main() {
  // A harness that stops reading our output must not take the IdP down with EPIPE.
  process.stdout.on('error', () => {});
  const opts = options();
  const users = opts.users.map((u) => ({ password: 'password', username: u.sub, email_verified: true, groups: [], ...u }));
  const byLogin = (login) =>
    users.find((u) => u.username === login || (u.email && u.email.toLowerCase() === login.toLowerCase()));

  const server = createServer();
  await new Promise((resolve) => server.listen(opts.port, opts.host, resolve));
  const { port } = server.address();
  const issuer = `http://${opts.host}:${port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
      redirect_uris: [opts.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: opts.idTokenAlg,
    }],
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const user = users.find((u) => u.sub === sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: user.email, email_verified: user.email_verified, name: user.name, groups: user.groups };
        },
      };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Test IdP error</h1><pre>${escape(JSON.stringify(out, null, 2))}</pre>`);
    },
  });

  // Grants every scope and claim the client asked for: consent is not what the tests exercise.
  async function consent(details) {
    const { prompt, params, session, grantId } = details;
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    if (prompt.details.missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    return { consent: { grantId: await grant.save() } };
  }

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(req.url.split('?')[0]);
    if (!match) return callback(req, res);
    const [, , action] = match;
    try {
      const details = await provider.interactionDetails(req, res);
      if (!action && req.method === 'GET') {
        if (details.prompt.name === 'consent') {
          return await provider.interactionFinished(req, res, await consent(details), { mergeWithLastSubmission: true });
        }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(loginForm(details.uid, details.params.client_id));
      }
      if (action === 'abort' && req.method === 'POST') {
        return await provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'End-User aborted interaction',
        }, { mergeWithLastSubmission: false });
      }
      if (action === 'login' && req.method === 'POST') {
        const form = await readForm(req);
        const user = byLogin(form.username ?? '');
        if (!user || user.password !== form.password) {
          res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
          return res.end(loginForm(details.uid, details.params.client_id, 'Unknown user or wrong password.'));
        }
        return await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
      }
      res.writeHead(405).end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${err.message}\n`);
    }
  });

  console.log(`READY ${issuer}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
