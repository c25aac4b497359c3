// Generated from the Rust types of proconnect-types (feature `ts`): do not edit.

/**
 * `GET /api/me`: the signed-in agent. Never holds a token.
 */
export type Me = { 
/**
 * The agent's claims.
 */
claims: AgentClaims, 
/**
 * The level of assurance from the ID token.
 */
acr: Acr | null, 
/**
 * Authentication methods from the ID token.
 */
amr: Array<Amr>, 
/**
 * When the session ends at the latest (Unix seconds).
 */
expires_at: number, 
/**
 * The brand the kit is configured with.
 */
brand: Brand, 
/**
 * Anti-forgery token to send in [`CSRF_HEADER`] with every state-changing call, or as the
 * `csrf_token` field of the sign-out form (`POST /auth/logout`).
 */
csrf_token: string, };

/**
 * The agent's identity as the FS sees it, built from the userinfo claims. Absent claims are
 * left out of its JSON.
 */
export type AgentClaims = { 
/**
 * Opaque subject, stable per (identity provider, service): the key to reconcile an agent
 * with a local account.
 */
sub: string, 
/**
 * First names, separated by spaces.
 */
given_name?: string, 
/**
 * Usage family name.
 */
usual_name?: string, 
/**
 * Professional email. It can change: reconcile accounts on `sub`, not on email.
 */
email?: string, 
/**
 * Identifier at the FI.
 */
uid?: string, 
/**
 * Establishment number, when present and well formed.
 */
siret?: Siret, 
/**
 * Company number, when present and well formed.
 */
siren?: Siren, 
/**
 * The organisation's name (ProConnect), returned with `siret`.
 */
organization_label?: string, 
/**
 * Ministry / directorate / service.
 */
organizational_unit?: string, 
/**
 * `agent`, `prestataire`, `partenaire`, `stagiaire`…
 */
belonging_population?: string, 
/**
 * Free-format phone number.
 */
phone_number?: string, 
/**
 * Chorus DT employee number.
 */
"chorusdt:matricule"?: string, 
/**
 * Chorus DT company.
 */
"chorusdt:societe"?: string, 
/**
 * Which FI authenticated the agent.
 */
idp_id?: string, 
/**
 * The level the FI reported.
 */
idp_acr?: string, 
/**
 * Whether the agent belongs to a public organisation (ProConnect; empty when not granted).
 */
roles?: Array<Role>, 
/**
 * Service-specific object (`{}` when empty).
 */
custom?: unknown, };

export type Acr = "eidas0" | "eidas0-mfa" | "eidas1" | "eidas1-mfa" | "eidas2" | "eidas3" | "https://proconnect.gouv.fr/assurance/certification-dirigeant" | "https://proconnect.gouv.fr/assurance/self-asserted" | "https://proconnect.gouv.fr/assurance/self-asserted-2fa" | "https://proconnect.gouv.fr/assurance/consistency-checked" | "https://proconnect.gouv.fr/assurance/consistency-checked-2fa" | (string & {});

export type Amr = "pwd" | "mail" | "otp" | "totp" | "pin" | "pop" | "hwk" | "swk" | "mfa" | (string & {});

export type Role = "agent_public" | "agent_public_etat" | "agent_public_territorial" | "agent_public_hospitalier" | "agent_public_L100-3" | "dirigeant" | (string & {});

/**
 * Which brand the sign-in button and pages show. Same protocol for both.
 */
export type Brand = "agentconnect" | "proconnect";

/**
 * A SIRET: exactly 14 ASCII digits.
 */
export type Siret = string;

/**
 * A SIREN: exactly 9 ASCII digits.
 */
export type Siren = string;

/**
 * `GET /api/config`: what the SPA needs before sign-in.
 */
export type PublicConfig = { 
/**
 * Which button to show.
 */
brand: Brand, 
/**
 * Where agents get help (an email address or a URL), shown on every error page.
 */
support?: string, };

/**
 * Every error the backend answers with, as JSON.
 */
export type ApiError = { 
/**
 * A stable machine-readable name (`unauthenticated`, `csrf`, `insufficient_level`…).
 */
error: string, 
/**
 * A sentence a person understands (English).
 */
message: string, 
/**
 * The same sentence in French.
 */
message_fr: string, 
/**
 * For `insufficient_level`: where to send the browser to sign in again at the required
 * level (step-up), keeping the session.
 */
step_up?: string, };
