// The reference Node relying party for `./x bench`: what a team would write with the usual
// libraries (express, openid-client 6 — the library ProConnect's own test client uses —,
// express-session with its memory store), doing the same work as the Rust backend on the
// benchmarked paths: /auth/login (state, nonce, PKCE in the session, 303 to authorize),
// /auth/callback (code exchange with client_secret_post, ID token and signed userinfo verified
// against the provider's keys, new session id), /api/me (claims from the session).
//
// Environment: PORT, ISSUER (…/api/v2), CLIENT_ID, CLIENT_SECRET. Prints `node rp ready` when listening.

import crypto from 'node:crypto';
import express from 'express';
import session from 'express-session';
import * as oidc from 'openid-client';

const { PORT, ISSUER, CLIENT_ID, CLIENT_SECRET } = process.env;
const PUBLIC_URL = `http://127.0.0.1:${PORT}/`;
const REDIRECT_URI = `${PUBLIC_URL}auth/callback`;
// The scopes the Rust backend asks for by default (backend/src/settings.rs).
const SCOPES = 'openid given_name usual_name email uid siret siren organizational_unit belonging_population phone idp_id idp_acr';
const ABSOLUTE_SECONDS = 12 * 3600;

async function main() {
  // Discovery once; the ID token and the userinfo are registered signed with ES256, so the
  // library asks for `application/jwt` at userinfo and refuses any other algorithm.
  const config = await oidc.discovery(
    new URL(ISSUER),
    CLIENT_ID,
    { id_token_signed_response_alg: 'ES256', userinfo_signed_response_alg: 'ES256' },
    oidc.ClientSecretPost(CLIENT_SECRET),
    // Only because the simulator serves plain http on 127.0.0.1.
    { execute: [oidc.allowInsecureRequests] },
  );
  // openid-client 6 trusts what it fetched over TLS and checks no JWS signature unless told to:
  // the Rust backend (and openid-client 5 before) verify the ID token's and the userinfo's
  // signatures against the provider's JWKS, so this one does too (the keys fetched once, cached).
  oidc.enableNonRepudiationChecks(config);

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

  app.get('/auth/login', async (req, res, next) => {
    try {
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const verifier = oidc.randomPKCECodeVerifier();
      req.session.login = { state, nonce, verifier, created: Date.now() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: SCOPES,
        acr_values: 'eidas1',
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        claims: JSON.stringify({ id_token: { amr: { essential: true } } }),
      });
      res.redirect(303, url.href);
    } catch (error) {
      next(error);
    }
  });

  app.get('/auth/callback', async (req, res, next) => {
    try {
      const login = req.session.login;
      const current = new URL(req.originalUrl, PUBLIC_URL);
      if (!login || current.searchParams.get('state') !== login.state) {
        return res.status(400).json({ error: 'invalid_state' });
      }
      delete req.session.login;
      // Checks iss (RFC 9207), state and an error answer, exchanges the code with the PKCE
      // verifier, verifies the ID token (signature, alg, iss, aud, exp, iat, nonce).
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: login.verifier,
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (idClaims.acr !== 'eidas1') {
        return res.status(401).json({ error: 'invalid_acr' });
      }
      // The signed userinfo (signature, alg, iss, aud), its `sub` checked against the ID token's.
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
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
