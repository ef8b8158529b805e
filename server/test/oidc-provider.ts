// A small OpenID provider for tests, on 127.0.0.1 port 0: discovery, JWKS, an authorization endpoint that
// signs in a configured user at once, and a token endpoint that checks the client secret, redirect URI,
// PKCE verifier and that each code is used once. `next` bends the next ID token to test refusals.

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";

export interface ProviderUser {
  sub: string;
  preferred_username?: string;
  name?: string;
  email?: string;
}

/** Changes to the next ID token issued (then cleared). */
export interface IdTokenTweak {
  aud?: string;
  iss?: string;
  nonce?: string;
  /** Seconds from now; negative = already expired. */
  expIn?: number;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  user: ProviderUser;
  used: boolean;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who the authorization endpoint signs in. */
  user: ProviderUser;
  next: IdTokenTweak;
  /** While true every endpoint answers 503 (a provider that is down). */
  down: boolean;
  /** Token requests answered, refused ones included. */
  tokenRequests: number;
  stop(): void;
}

const b64url = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64url");

export async function startProvider(opts: { clientId?: string; clientSecret?: string; user?: ProviderUser } = {}): Promise<TestProvider> {
  const keys = await generateKeyPair("RS256");
  const foreign = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const grants = new Map<string, Grant>();
  let issuer = "";

  const bad = (error: string, status = 400) => Response.json({ error }, { status });

  async function idToken(g: Grant, tweak: IdTokenTweak): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const { sub, ...profile } = g.user;
    const key: CryptoKey = tweak.foreignKey ? foreign.privateKey : keys.privateKey;
    return new SignJWT({ ...profile, nonce: tweak.nonce ?? g.nonce })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(tweak.iss ?? issuer)
      .setSubject(sub)
      .setAudience(tweak.aud ?? g.clientId)
      .setIssuedAt(now + Math.min(0, tweak.expIn ?? 0) - 60)
      .setExpirationTime(now + (tweak.expIn ?? 300))
      .sign(key);
  }

  const provider: TestProvider = {
    issuer: "",
    clientId: opts.clientId ?? "parley-test",
    clientSecret: opts.clientSecret ?? "provider-secret-" + crypto.randomUUID(),
    user: opts.user ?? { sub: "u-" + crypto.randomUUID(), preferred_username: "alice", name: "Alice Example", email: "alice@example.test" },
    next: {},
    down: false,
    tokenRequests: 0,
    stop: () => server.stop(true),
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (provider.down) return new Response("down for maintenance", { status: 503 });
      if (url.pathname === "/.well-known/openid-configuration") {
        return Response.json({
          issuer,
          authorization_endpoint: issuer + "/authorize",
          token_endpoint: issuer + "/token",
          jwks_uri: issuer + "/jwks",
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
        });
      }
      if (url.pathname === "/jwks") return Response.json({ keys: [jwk] });
      if (url.pathname === "/authorize") {
        const q = url.searchParams;
        const redirectUri = q.get("redirect_uri") ?? "";
        if (q.get("client_id") !== provider.clientId || !redirectUri) return bad("invalid_client");
        const back = new URL(redirectUri);
        back.searchParams.set("iss", issuer);
        if (q.get("state")) back.searchParams.set("state", q.get("state")!);
        if (q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge") || !q.get("nonce") || !q.get("scope")?.split(" ").includes("openid")) {
          back.searchParams.set("error", "invalid_request");
          return Response.redirect(back.href, 302);
        }
        const code = crypto.randomUUID();
        grants.set(code, { clientId: provider.clientId, redirectUri, challenge: q.get("code_challenge")!, nonce: q.get("nonce")!, user: { ...provider.user }, used: false });
        back.searchParams.set("code", code);
        return Response.redirect(back.href, 302);
      }
      if (url.pathname === "/token" && req.method === "POST") {
        provider.tokenRequests++;
        const form = new URLSearchParams(await req.text());
        let [id, secret] = [form.get("client_id"), form.get("client_secret")];
        const basic = req.headers.get("authorization");
        if (basic?.startsWith("Basic ")) [id, secret] = Buffer.from(basic.slice(6), "base64").toString().split(":").map(decodeURIComponent);
        if (id !== provider.clientId || secret !== provider.clientSecret) return bad("invalid_client", 401);
        const g = grants.get(form.get("code") ?? "");
        if (form.get("grant_type") !== "authorization_code" || !g || g.used || g.redirectUri !== form.get("redirect_uri")) return bad("invalid_grant");
        g.used = true; // a code works once, even when this request is refused below
        const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(form.get("code_verifier") ?? ""));
        if (b64url(digest) !== g.challenge) return bad("invalid_grant");
        const tweak = provider.next;
        provider.next = {};
        return Response.json({ access_token: crypto.randomUUID(), token_type: "Bearer", expires_in: 300, id_token: await idToken(g, tweak) }, { headers: { "cache-control": "no-store" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  issuer = provider.issuer = `http://127.0.0.1:${server.port}`;
  return provider;
}
