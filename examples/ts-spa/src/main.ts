// The example SPA: one page that shows the ProConnect button, or the signed-in agent and the
// sign-out form. Everything it knows comes from the BFF's JSON API.

import { config, me } from "./api";
import type { Acr, ApiError, Brand, Me } from "./generated/api";

type Child = Node | string;

/** A DOM element; text goes in as text (never parsed as HTML). */
function h(tag: string, attributes: Record<string, string>, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

const BRANDS: Record<Brand, { name: string; site: string; className: string }> = {
  proconnect: { name: "ProConnect", site: "https://www.proconnect.gouv.fr/", className: "fr-connect fr-connect--pro" },
  agentconnect: { name: "AgentConnect", site: "https://agentconnect.gouv.fr/", className: "fr-connect" },
};

/** The button: a real link to the BFF's `/auth/login`, which redirects to the provider. */
function connectButton(brand: Brand): HTMLElement {
  const { name, site, className } = BRANDS[brand];
  return h(
    "div",
    { class: "fr-connect-group" },
    h(
      "a",
      { class: className, id: "connect-button", href: "/auth/login?return_to=%2F" },
      h("span", { class: "fr-connect__login" }, "S’identifier avec"),
      " ",
      h("span", { class: "fr-connect__brand" }, name),
    ),
    h(
      "p",
      {},
      h(
        "a",
        { href: site, target: "_blank", rel: "noopener", title: `Qu’est-ce que ${name} ? - nouvelle fenêtre` },
        `Qu’est-ce que ${name} ?`,
      ),
    ),
  );
}

const LEVELS: Partial<Record<Acr, string>> = {
  eidas0: "mot de passe, identité déclarée",
  "eidas0-mfa": "mot de passe et second facteur, identité déclarée",
  eidas1: "mot de passe",
  "eidas1-mfa": "mot de passe et second facteur",
  eidas2: "second facteur géré par l’organisation",
  eidas3: "carte agent (code PIN et certificat)",
  "https://proconnect.gouv.fr/assurance/certification-dirigeant": "dirigeant d’entreprise certifié",
};

function fact(id: string, term: string, value: string | undefined): HTMLElement[] {
  return [h("dt", {}, term), h("dd", { id }, value ?? "non communiqué")];
}

/** The agent as `/api/me` describes them, and the sign-out form. */
function profile(agent: Me): HTMLElement {
  const { claims } = agent;
  const name = [claims.given_name, claims.usual_name].filter(Boolean).join(" ") || claims.sub;
  const level = agent.acr ?? undefined;
  return h(
    "div",
    { id: "profile" },
    h("h1", { id: "welcome" }, `Bonjour ${name}`),
    h(
      "dl",
      { class: "profile" },
      ...fact("claim-given-name", "Prénoms", claims.given_name),
      ...fact("claim-usual-name", "Nom d’usage", claims.usual_name),
      ...fact("claim-email", "Adresse électronique", claims.email),
      ...fact("claim-organization", "Organisation", claims.organization_label),
      ...fact("claim-siret", "SIRET", claims.siret),
      h("dt", {}, "Niveau d’authentification"),
      h(
        "dd",
        { id: "claim-level" },
        h("span", { class: "fr-badge fr-badge--info", id: "claim-acr" }, level ?? "non communiqué"),
        level ? ` ${LEVELS[level] ?? "niveau inconnu"}` : "",
      ),
    ),
    // A form navigation, never fetch: the BFF answers with a redirect to the provider's
    // session/end carrying the ID token hint, which only a navigation follows.
    h(
      "form",
      { method: "post", action: "/auth/logout" },
      h("input", { type: "hidden", name: "csrf_token", value: agent.csrf_token }),
      h("button", { class: "fr-btn fr-btn--secondary", id: "sign-out", type: "submit" }, "Se déconnecter"),
    ),
  );
}

/** An error of the API, in French (its `message_fr`; the English `message` for older servers). */
function errorAlert(error: ApiError, support: string | undefined): HTMLElement {
  const help = support ? ` Besoin d’aide : ${support}.` : "";
  return h(
    "div",
    { class: "fr-alert fr-alert--error fr-mb-3w", id: "api-error", role: "alert" },
    h("h2", { class: "fr-alert__title" }, "Une erreur est survenue"),
    h("p", {}, `${error.message_fr || error.message}${help}`),
  );
}

function signedOutNotice(): HTMLElement {
  return h(
    "div",
    { class: "fr-alert fr-alert--success fr-mb-3w", id: "signed-out" },
    h("p", {}, "Vous êtes déconnecté."),
  );
}

async function start(root: HTMLElement): Promise<void> {
  const [settings, agent] = await Promise.all([config(), me()]);
  const brand: Brand = settings.ok ? settings.value.brand : "proconnect";
  const support = settings.ok ? settings.value.support : undefined;
  const page: HTMLElement[] = [];
  if (!settings.ok) page.push(errorAlert(settings.error, undefined));
  if (agent.ok) {
    page.push(profile(agent.value));
  } else if (agent.status === 401) {
    // `unauthenticated`: the ordinary signed-out state.
    if (location.pathname === "/deconnecte") page.push(signedOutNotice());
    page.push(h("h1", {}, "Connexion"), connectButton(brand));
  } else {
    page.push(
      errorAlert(agent.error, support),
      h("a", { class: "fr-btn", id: "retry", href: location.pathname }, "Réessayer"),
    );
  }
  root.replaceChildren(...page);
}

const root = document.getElementById("app");
if (root) void start(root);
