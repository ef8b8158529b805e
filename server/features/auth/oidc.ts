// Single sign-on with OpenID Connect through oauth4webapi: authorization code + PKCE (S256) + state + nonce.
//
// Nothing of a login in progress is kept in this process: state, nonce, PKCE verifier and callback URL
// travel in a short-lived HttpOnly cookie signed with the server's token key, so the provider may send
// the browser back to any node of a cluster. Accounts are found by (issuer, sub) only, never by e-mail.

import { createRemoteJWKSet, jwtVerify, SignJWT } from "jose";
import type * as OAuth from "oauth4webapi";
import { AppError } from "../../errors";
import type { Context } from "../../context";
import { LIMITS } from "../../protocol/types";
import { NO_PASSWORD, type UserRow } from "../../ports/store";
import type { Auth } from "./service";

/** How long a browser has at the provider between start and callback. */
const LOGIN_TTL_SEC = 600;
const COOKIE_AUDIENCE = "parley-oidc";
export const OIDC_COOKIE = "parley_oidc";
export const CALLBACK_PATH = "/api/auth/oidc/callback";
const HTTP_TIMEOUT_MS = 10_000;

/** oauth4webapi, imported by the first login only when single sign-on is set up (docs/benchmarks.md, "Start-up memory"). */
let oauth: typeof OAuth;

/** What the signed cookie carries from start to callback. */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  invite?: string;
}

/** The claims an account is made from. */
export interface OidcProfile {
  issuer: string;
  subject: string;
  preferredUsername?: string;
  name?: string;
  email?: string;
}

export function createOidc(ctx: Context, auth: Auth) {
  const { config, store, clock, ids } = ctx;
  if (!config.oidcIssuer) return undefined;
  const issuerUrl = new URL(config.oidcIssuer);
  // config.ts allows http:// only on loopback (a test or local provider).
  const insecure = issuerUrl.protocol === "http:";
  const client: OAuth.Client = { client_id: config.oidcClientId };

  let discovered: Promise<{ as: OAuth.AuthorizationServer; jwks: ReturnType<typeof createRemoteJWKSet>; clientAuth: OAuth.ClientAuth; http: OAuth.TokenEndpointRequestOptions }> | undefined;
  /** The provider's metadata, fetched once; a failed fetch is retried by the next login. Every use of `oauth` comes after it. */
  function provider() {
    discovered ??= (async () => {
      oauth ??= await import("oauth4webapi");
      const http = { [oauth.allowInsecureRequests]: insecure, signal: () => AbortSignal.timeout(HTTP_TIMEOUT_MS) };
      const clientAuth = config.oidcClientSecret ? oauth.ClientSecretBasic(config.oidcClientSecret) : oauth.None();
      const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, { ...http, algorithm: "oidc" }));
      if (!as.jwks_uri) throw new Error("the provider's discovery document has no jwks_uri");
      return { as, jwks: createRemoteJWKSet(new URL(as.jwks_uri), { timeoutDuration: HTTP_TIMEOUT_MS }), clientAuth, http };
    })();
    discovered.catch(() => (discovered = undefined));
    return discovered;
  }

  async function seal(p: Pending): Promise<string> {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({ ...p }).setProtectedHeader({ alg: "HS256" }).setAudience(COOKIE_AUDIENCE).setIssuedAt(now).setExpirationTime(now + LOGIN_TTL_SEC).sign(ctx.jwtKey);
  }

  async function unseal(cookie: string | undefined): Promise<Pending> {
    if (!cookie) throw new AppError("invalid_request", "no single sign-on in progress in this browser (or it took too long)");
    try {
      const { payload } = await jwtVerify(cookie, ctx.jwtKey, { algorithms: ["HS256"], audience: COOKIE_AUDIENCE, currentDate: new Date(clock.now()) });
      return payload as unknown as Pending;
    } catch {
      throw new AppError("invalid_request", "single sign-on expired or was tampered with; start again");
    }
  }

  /** An account for a first login: a free username from the claims, or a refusal by the registration rules. */
  async function createAccount(p: OidcProfile, inviteCode: string | undefined): Promise<UserRow> {
    const invite = await auth.admitSsoSignUp(inviteCode, config.oidcRegistration === "invite");
    const base = usernameBase(p);
    for (let n = 1; n <= 40; n++) {
      // alice, alice2 … alice20, then a random suffix: never someone else's account, whatever the claims say.
      const suffix = n === 1 ? "" : n <= 20 ? String(n) : ids.secret().replace(/[^a-z0-9]/gi, "").slice(0, 6).toLowerCase();
      const username = base.slice(0, 32 - suffix.length) + suffix;
      if (await store.userByName(username)) continue;
      const user: UserRow = {
        id: ids.id(), username, displayName: displayNameFrom(p.name) || username, passwordHash: NO_PASSWORD,
        isAdmin: (await store.countUsers()) === 0, deactivatedAt: null, createdAt: clock.now(), lastSeen: null, avatarId: null,
      };
      let id: string;
      try {
        id = await store.identities.createLinked(user, { issuer: p.issuer, subject: p.subject, createdAt: user.createdAt });
      } catch (e) {
        if (e instanceof AppError && e.code === "conflict") continue; // the name was taken a moment ago
        throw e;
      }
      if (id !== user.id) return (await store.userById(id))!; // another node made this subject's account a moment ago
      ctx.log.info("user registered through single sign-on", { userId: user.id, username, invite: invite !== undefined });
      if (invite) await auth.joinInvite(user, invite);
      return user;
    }
    throw new AppError("conflict", "no free username for this account");
  }

  return {
    name: config.oidcName,

    /** The provider's authorization URL and the sealed cookie value for this browser. */
    async start(origin: string, invite: string | undefined): Promise<{ location: string; cookie: string }> {
      const { as } = await provider().catch((e) => {
        ctx.log.warn("single sign-on: provider discovery failed", { err: String(e) });
        throw new AppError("internal", "the sign-on provider cannot be reached");
      });
      const pending: Pending = {
        state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier(),
        redirectUri: (config.publicUrl || origin) + CALLBACK_PATH, ...(invite ? { invite } : {}),
      };
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        response_type: "code", client_id: client.client_id, redirect_uri: pending.redirectUri, scope: "openid profile email",
        state: pending.state, nonce: pending.nonce, code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: "S256",
      }).toString();
      return { location: url.href, cookie: await seal(pending) };
    },

    /** Checks the provider's answer against the cookie, then finds, links or creates the account. */
    async finish(callbackUrl: URL, cookie: string | undefined): Promise<UserRow> {
      const pending = await unseal(cookie);
      let profile: OidcProfile;
      try {
        const { as, jwks, clientAuth, http } = await provider();
        const params = oauth.validateAuthResponse(as, client, callbackUrl.searchParams, pending.state);
        const res = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, pending.redirectUri, pending.verifier, http);
        const result = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: pending.nonce, requireIdToken: true });
        const claims = oauth.getValidatedIdTokenClaims(result)!;
        // oauth4webapi checks iss, aud, azp, exp, iat and nonce; the signature against the provider's keys is checked here.
        await jwtVerify(result.id_token!, jwks, { issuer: as.issuer, audience: client.client_id });
        profile = {
          issuer: claims.iss, subject: claims.sub,
          preferredUsername: str(claims.preferred_username), name: str(claims.name), email: str(claims.email),
        };
      } catch (e) {
        ctx.log.warn("single sign-on refused", { err: e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e) });
        throw new AppError("unauthenticated", "single sign-on failed");
      }
      const linked = await store.identities.find(profile.issuer, profile.subject);
      const user = linked ? await store.userById(linked.userId) : await createAccount(profile, pending.invite);
      if (!user || user.deactivatedAt) throw new AppError("forbidden", "account deactivated");
      return user;
    },
  };
}

export type Oidc = NonNullable<ReturnType<typeof createOidc>>;

const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() ? v.trim() : undefined);

/**
 * The `name` claim as a display name: a provider's text has not passed our input checks, so controls
 * (line breaks included) and bidi overrides become spaces, and it is cut to 64 characters.
 */
export function displayNameFrom(name: string | undefined): string {
  const clean = (name ?? "").toWellFormed().replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu, " ").replace(/\s+/g, " ").trim();
  return Array.from(clean).slice(0, 64).join("").trim();
}

/** A valid username from preferred_username, name or the e-mail's local part (uniqueness is the caller's). */
export function usernameBase(p: Pick<OidcProfile, "preferredUsername" | "name" | "email">): string {
  for (const raw of [p.preferredUsername, p.name, p.email?.split("@")[0]]) {
    const u = (raw ?? "").normalize("NFKD").toLowerCase().replace(/\s+/g, ".").replace(/[^a-z0-9_.-]/g, "").replace(/\.{2,}/g, ".").slice(0, 32);
    if (LIMITS.USERNAME_RE.test(u)) return u;
  }
  return "user";
}
