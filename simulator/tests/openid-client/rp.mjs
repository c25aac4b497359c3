// A relying party built on an unmodified openid-client 6 (the library ProConnect's reference
// client uses), run by simulator/tests/openid_client.rs against the simulator on 127.0.0.1.
//
// Usage: node rp.mjs '<JSON>' where JSON is
//   { "issuer": "http://127.0.0.1:<port>/api/v2",
//     "runs": [{ "name", "client_id", "client_secret", "redirect_uri",
//                "id_token_signed_response_alg", "userinfo_signed_response_alg" (or null: JSON userinfo),
//                "scope", "acr_values"?, "claims"? (an object), "sp_name"?,
//                "email", "login", "password" }] }
// Prints one JSON array on stdout, a result per run, in order:
//   { name, library, authorization_request, callback, outcome: "signed_in" | "error",
//     error?, id_token?: { header, claims }, userinfo?, token?, wire }
// Each run is a fresh browser (no provider session) and a fresh discovery. The script never
// decides whether a run is right: the Rust test asserts on what it prints.

import * as client from 'openid-client';
import { readFileSync } from 'node:fs';

const STEP_TIMEOUT_MS = 10_000;
const MAX_STEPS = 12;

// A hung simulator must fail the test, not stall it.
setTimeout(() => {
  process.stderr.write('rp.mjs: no answer after 60 s\n');
  process.exit(3);
}, 60_000).unref();

const library = JSON.parse(
  readFileSync(new URL('./node_modules/openid-client/package.json', import.meta.url), 'utf8'),
);

function decodeJwtPart(jwt, index) {
  return JSON.parse(Buffer.from(jwt.split('.')[index], 'base64url').toString('utf8'));
}

function errorReport(e) {
  return {
    name: e?.name ?? null,
    code: e?.code ?? null,
    message: String(e?.message ?? e),
    // AuthorizationResponseError / ResponseBodyError: the OAuth error fields.
    error: e?.error ?? null,
    error_description: e?.error_description ?? null,
    cause: e?.cause?.message ?? null,
  };
}

/// A minimal browser: a cookie jar for one origin, manual redirects, and the two forms of the
/// sign-in (the mire asks for the email, the identity provider for login and password). Returns
/// the URL the provider sends the browser back to (the relying party's callback).
async function browse(startUrl, redirectUri, agent) {
  const origin = new URL(startUrl).origin;
  const jar = new Map();
  let request = { url: startUrl, method: 'GET', body: undefined };
  for (let step = 0; step < MAX_STEPS; step++) {
    if (new URL(request.url).origin !== origin) {
      throw new Error(`the provider sent the browser away from ${origin}: ${request.url}`);
    }
    const headers = {};
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (request.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(request.url, {
      method: request.method,
      body: request.body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      const removed = value === '' || attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (removed) jar.delete(name);
      else jar.set(name, value);
    }
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location'), request.url);
      if (`${location.origin}${location.pathname}` === redirectUri) return location;
      request = { url: location.href, method: 'GET', body: undefined };
      continue;
    }
    const html = await response.text();
    const code = /id="error-code">([^<]*)</.exec(html)?.[1];
    if (response.status !== 200 || code) {
      const detail = html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 400);
      const page = new URL(request.url).pathname;
      throw new Error(`${code ?? 'an error page'} (HTTP ${response.status}) at ${page}: ${detail}`);
    }
    const action = /<form[^>]*\baction="([^"]*)"/.exec(html)?.[1];
    if (!action) throw new Error(`a page without a form at ${request.url}`);
    let form;
    if (/name="email"/.test(html)) form = { email: agent.email };
    else if (/name="password"/.test(html)) form = { login: agent.login, password: agent.password };
    else throw new Error(`a form this browser cannot fill at ${request.url}`);
    const target = new URL(action.replaceAll('&amp;', '&'), request.url);
    request = { url: target.href, method: 'POST', body: new URLSearchParams(form).toString() };
  }
  throw new Error(`no way back to ${redirectUri} after ${MAX_STEPS} steps`);
}

async function run(issuer, spec) {
  const result = { name: spec.name, library: { name: library.name, version: library.version } };
  const wire = [];
  result.wire = wire;
  try {
    // Only what a real deployment configures: the issuer, the client's id and secret
    // (client_secret_post, the platform's method) and the algorithms registered for it.
    const metadata = { id_token_signed_response_alg: spec.id_token_signed_response_alg };
    if (spec.userinfo_signed_response_alg) {
      // Registered signed userinfo: openid-client then asks for `application/jwt`, refuses a
      // plain JSON answer and any other `alg`.
      metadata.userinfo_signed_response_alg = spec.userinfo_signed_response_alg;
    }
    const config = await client.discovery(
      new URL(issuer),
      spec.client_id,
      metadata,
      client.ClientSecretPost(spec.client_secret),
      // allowInsecureRequests only because the simulator serves plain http on 127.0.0.1;
      // against the real platform (https) it must not be set.
      { execute: [client.allowInsecureRequests] },
    );
    // openid-client 6 does not check JWS signatures by default: it trusts what it fetched over
    // TLS from the token and userinfo endpoints. Here there is no TLS (plain http on loopback),
    // and a relying party of ProConnect verifies the ID token and the signed userinfo anyway:
    // this makes the library verify both against the issuer's jwks_uri.
    client.enableNonRepudiationChecks(config);
    // Observe (never alter) what goes over the wire: method, path, status, content type.
    config[client.customFetch] = async (url, options) => {
      const response = await fetch(url, options);
      const contentType = response.headers.get('content-type');
      wire.push({
        method: options.method,
        path: new URL(url).pathname,
        status: response.status,
        content_type: contentType,
        client_secret_in_body: String(options.body ?? '').includes('client_secret='),
        // The JOSE header of a JWT answer (read from a copy; the library reads the original).
        jwt_header: contentType?.startsWith('application/jwt')
          ? decodeJwtPart(await response.clone().text(), 0)
          : null,
      });
      return response;
    };
    const server = config.serverMetadata();
    result.metadata = {
      issuer: server.issuer,
      authorization_response_iss_parameter_supported: server.authorization_response_iss_parameter_supported ?? null,
    };

    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const parameters = {
      redirect_uri: spec.redirect_uri,
      scope: spec.scope,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    };
    if (spec.acr_values) parameters.acr_values = spec.acr_values;
    if (spec.claims) parameters.claims = JSON.stringify(spec.claims);
    if (spec.sp_name) parameters.sp_name = spec.sp_name;
    const url = client.buildAuthorizationUrl(config, parameters);
    result.authorization_request = Object.fromEntries(url.searchParams);

    const callback = await browse(url.href, spec.redirect_uri, spec);
    result.callback = Object.fromEntries(callback.searchParams);

    // Checks iss (when present, or when discovery says it is always sent), state, an error
    // answer, then exchanges the code with the PKCE verifier and checks the ID token: signature
    // (above), alg, iss, aud, exp, iat, nonce.
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    result.id_token = { header: decodeJwtPart(tokens.id_token, 0), claims };
    result.token = {
      token_type: tokens.token_type,
      expires_in: tokens.expires_in ?? null,
      scope: tokens.scope ?? null,
      refresh_token: tokens.refresh_token !== undefined,
    };
    // Userinfo, its `sub` checked against the ID token's.
    result.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    result.outcome = 'signed_in';
  } catch (e) {
    result.outcome = 'error';
    result.error = errorReport(e);
  }
  return result;
}

const input = JSON.parse(process.argv[2]);
const results = [];
for (const spec of input.runs) results.push(await run(input.issuer, spec));
process.stdout.write(`${JSON.stringify(results)}\n`);
