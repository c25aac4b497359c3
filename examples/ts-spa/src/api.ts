// The BFF's JSON API, typed with the declarations generated from its Rust types.
// The session is an HttpOnly cookie the browser sends by itself: no token ever reaches this code.

import type { ApiError, Me, PublicConfig } from "./generated/api";

/** An answer of the API: its JSON, or the `ApiError` it sent (or one made up when it sent none). */
export type Answer<T> = { ok: true; value: T } | { ok: false; status: number; error: ApiError };

async function getJson<T>(path: string): Promise<Answer<T>> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", headers: { accept: "application/json" } });
  } catch {
    return { ok: false, status: 0, error: unreachable() };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok && body !== undefined) {
    return { ok: true, value: body as T };
  }
  return { ok: false, status: response.status, error: isApiError(body) ? body : unexpected(response.status) };
}

/** `GET /api/me`: the signed-in agent, or 401 `unauthenticated` when no session is open. */
export function me(): Promise<Answer<Me>> {
  return getJson<Me>("/api/me");
}

/** `GET /api/config`: the brand and the support contact, before sign-in. */
export function config(): Promise<Answer<PublicConfig>> {
  return getJson<PublicConfig>("/api/config");
}

function isApiError(body: unknown): body is ApiError {
  if (typeof body !== "object" || body === null) return false;
  const { error, message } = body as Record<string, unknown>;
  return typeof error === "string" && typeof message === "string";
}

function unreachable(): ApiError {
  return {
    error: "unreachable",
    message: "The service cannot be reached. Check your connection and try again.",
    message_fr: "Le service est injoignable. Vérifiez votre connexion et réessayez.",
  };
}

function unexpected(status: number): ApiError {
  return {
    error: "unexpected_answer",
    message: `The service answered unexpectedly (HTTP ${status}). Try again later.`,
    message_fr: `Le service a répondu de façon inattendue (HTTP ${status}). Réessayez plus tard.`,
  };
}
