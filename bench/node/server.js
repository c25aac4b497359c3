// The reference Node relying party for `./x bench`: what a team would write with the usual
// libraries (express, openid-client 5, express-session with its memory store), doing the same
// work as the Rust backend on the benchmarked paths: /auth/login (state, nonce, PKCE in the
// session, 303 to authorize), /auth/callback (code exchange with client_secret_post, ID token and
// signed userinfo verified, new session id), /api/me (claims from the session).
//
// Environment: PORT, ISSUER (…/api/v2), CLIENT_ID, CLIENT_SECRET. Prints `node rp ready` when listening.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const session = require('express-session');
const { Issuer, generators } = require('openid-client');

const { PORT, ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
const PUBLIC_URL = `http://127.0.0.1:${PORT}/`;
const REDIRECT_URI = `${PUBLIC_URL}auth/callback`;
// The scopes the Rust backend asks for by default (backend/src/settings.rs).
const SCOPES = 'openid given_name usual_name email uid siret siren organizational_unit belonging_population phone idp_id idp_acr';
const ABSOLUTE_SECONDS = 12 * 3600;

async function main() {
  const issuer = await Issuer.discover(`${ISSUER}/.well-known/openid-configuration`);
  const client = new issuer.Client({
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256',
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(session({
    name: 'session',
    secret: crypto.randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 60 * 60 * 1000 },
  }));

  app.get('/healthz', (req, res) => res.send('ok'));

  app.get('/auth/login', (req, res) => {
    const state = generators.state();
    const nonce = generators.nonce();
    const verifier = generators.codeVerifier();
    req.session.login = { state, nonce, verifier, created: Date.now() };
    res.redirect(303, client.authorizationUrl({
      scope: SCOPES,
      acr_values: 'eidas1',
      state,
      nonce,
      code_challenge: generators.codeChallenge(verifier),
      code_challenge_method: 'S256',
      claims: JSON.stringify({ id_token: { amr: { essential: true } } }),
    }));
  });

  app.get('/auth/callback', async (req, res, next) => {
    try {
      const login = req.session.login;
      const params = client.callbackParams(req);
      if (!login || params.state !== login.state) {
        return res.status(400).json({ error: 'invalid_state' });
      }
      delete req.session.login;
      const tokens = await client.callback(REDIRECT_URI, params, {
        state: login.state,
        nonce: login.nonce,
        code_verifier: login.verifier,
      });
      const idClaims = tokens.claims();
      if (idClaims.acr !== 'eidas1') {
        return res.status(401).json({ error: 'invalid_acr' });
      }
      const userinfo = await client.userinfo(tokens);
      const agent = {
        claims: userinfo,
        id_token: tokens.id_token,
        access_token: tokens.access_token,
        acr: idClaims.acr,
        amr: idClaims.amr || [],
        expires_at: Math.floor(Date.now() / 1000) + ABSOLUTE_SECONDS,
        csrf_token: crypto.randomBytes(32).toString('base64url'),
      };
      // A new session id at sign-in, as the Rust backend does.
      req.session.regenerate((error) => {
        if (error) return next(error);
        req.session.agent = agent;
        req.session.save((error) => (error ? next(error) : res.redirect(303, '/')));
      });
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/me', (req, res) => {
    const agent = req.session.agent;
    if (!agent || agent.expires_at <= Date.now() / 1000) {
      return res.status(401).json({ error: 'unauthenticated' });
    }
    res.set('cache-control', 'no-store').json({
      claims: agent.claims,
      acr: agent.acr,
      amr: agent.amr,
      expires_at: agent.expires_at,
      csrf_token: agent.csrf_token,
    });
  });

  let reported = 0;
  app.use((error, req, res, next) => {
    if (reported++ < 5) console.error(`node rp error: ${error && error.stack}`);
    res.status(502).json({ error: 'sign_in_failed' });
  });

  app.listen(Number(PORT), '127.0.0.1', () => console.log('node rp ready'));
}

main().catch((error) => {
  console.error(`node rp failed to start: ${error && error.stack}`);
  process.exit(1);
});
