// Single sign-on end to end over real HTTP against a test OpenID provider on loopback, redirects followed by hand.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, type Config } from "../../config";
import { api, register, startServer, type Session, type TestServer } from "../../test/harness";
import { startProvider, type TestProvider } from "../../test/oidc-provider";
import { displayNameFrom, usernameBase } from "./oidc";

const PASSWORD = "correct horse battery";

function oidcConfig(p: TestProvider, extra: Partial<Config> = {}): Partial<Config> {
  return { oidcIssuer: p.issuer, oidcClientId: p.clientId, oidcClientSecret: p.clientSecret, oidcName: "Test IdP", ...extra };
}

interface Started {
  /** The provider's authorization URL the browser is sent to. */
  authorize: URL;
  /** The `parley_oidc=…` pair to send back to the callback. */
  cookie: string;
  setCookie: string;
}

async function start(base: string, query = ""): Promise<Started> {
  const res = await fetch(base + "/api/auth/oidc/start" + query, { redirect: "manual" });
  expect(res.status).toBe(302);
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { authorize: new URL(res.headers.get("location")!), cookie: setCookie.split(";")[0], setCookie };
}

/** The provider's answer: the callback URL it sends the browser to. */
async function authorize(s: Started): Promise<URL> {
  const res = await fetch(s.authorize, { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

/** The callback's redirect target: `/#sso=<token>` or `/#sso_error=<code>`. */
async function callback(url: URL | string, cookie?: string): Promise<{ location: string; res: Response }> {
  const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(303);
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("set-cookie")).toContain("Max-Age=0"); // the login cookie is spent either way
  return { location: res.headers.get("location")!, res };
}

const handoff = (location: string) => (location.startsWith("/#sso=") ? decodeURIComponent(location.slice("/#sso=".length)) : undefined);

async function exchange(base: string, token: string) {
  return api<Session>(base, "POST", "/api/auth/refresh", { refreshToken: token });
}

/** A whole login; returns the session the web client ends up with. */
async function ssoLogin(base: string): Promise<Session> {
  const s = await start(base);
  const { location } = await callback(await authorize(s), s.cookie);
  const token = handoff(location);
  if (!token) throw new Error("no session: " + location);
  const r = await exchange(base, token);
  expect(r.status).toBe(200);
  return r.body;
}

/** A login whose callback is expected to be refused: the error code, after checking no token was handed out. */
async function refused(base: string, s: Started, cb: URL | string, cookie: string | undefined = s.cookie): Promise<string> {
  const { location } = await callback(cb, cookie);
  expect(handoff(location)).toBeUndefined();
  expect(location).toMatch(/^\/#sso_error=[a-z_]+$/);
  return location.slice("/#sso_error=".length);
}

describe("single sign-on", () => {
  let provider: TestProvider;
  let server: TestServer;
  let base: string;

  beforeAll(async () => {
    provider = await startProvider();
    server = await startServer({ config: oidcConfig(provider) });
    base = server.url;
  });
  afterAll(async () => {
    await server.stop();
    provider.stop();
  });

  test("OIDC-1 the start sends the browser to the provider with PKCE S256, state and nonce, and keeps them in a signed HttpOnly cookie", async () => {
    const info = await api(base, "GET", "/api/auth/oidc");
    expect(info.body).toEqual({ enabled: true, name: "Test IdP" });
    const s = await start(base);
    expect(s.authorize.origin + s.authorize.pathname).toBe(provider.issuer + "/authorize");
    const q = s.authorize.searchParams;
    expect(q.get("response_type")).toBe("code");
    expect(q.get("client_id")).toBe(provider.clientId);
    expect(q.get("redirect_uri")).toBe(base + "/api/auth/oidc/callback");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")!.length).toBeGreaterThanOrEqual(43);
    expect(q.get("state")!.length).toBeGreaterThanOrEqual(32);
    expect(q.get("nonce")!.length).toBeGreaterThanOrEqual(32);
    expect(q.get("scope")!.split(" ")).toContain("openid");
    expect(s.setCookie).toMatch(/^parley_oidc=[\w-]+\.[\w-]+\.[\w-]+; Path=\/api\/auth\/oidc\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/);
    // The verifier is in no URL.
    expect(s.authorize.href).not.toContain("code_verifier");
  });

  test("OIDC-2 a first login makes an account from the claims and hands the client a session through a one-time fragment", async () => {
    provider.user = { sub: "sub-first", preferred_username: "Carol.Smith", name: "Carol Smith", email: "carol@example.test" };
    const s = await start(base);
    const { location } = await callback(await authorize(s), s.cookie);
    const token = handoff(location)!;
    expect(token).toBeTruthy();
    const r = await exchange(base, token);
    expect(r.status).toBe(200);
    expect(r.body.user.username).toBe("carol.smith");
    expect(r.body.user.displayName).toBe("Carol Smith");
    const me = await api(base, "GET", "/api/me", undefined, r.body.accessToken);
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(r.body.user.id);
    // The handed-over token works once: a second use is a reuse, which ends the session.
    expect((await exchange(base, token)).status).toBe(401);
    expect((await exchange(base, r.body.refreshToken)).status).toBe(401);
  });

  test("OIDC-3 the second login of the same subject lands on the same account; the account has no password to log in with", async () => {
    provider.user = { sub: "sub-again", preferred_username: "dave", name: "Dave" };
    const first = await ssoLogin(base);
    provider.user = { sub: "sub-again", preferred_username: "david-renamed", name: "David" };
    const second = await ssoLogin(base);
    expect(second.user.id).toBe(first.user.id);
    expect(second.user.username).toBe("dave");
    for (const password of ["", PASSWORD, "not-a-real-password"]) {
      const r = await api(base, "POST", "/api/auth/login", { username: "dave", password });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("invalid_credentials");
    }
  });

  test("OIDC-4 an existing password account with the same e-mail and username is not taken over", async () => {
    const owner = await register(base, "erin", PASSWORD);
    provider.user = { sub: "sub-erin-idp", preferred_username: "erin", name: "Not Erin", email: "erin@example.test" };
    const sso = await ssoLogin(base);
    expect(sso.user.id).not.toBe(owner.user.id);
    expect(sso.user.username).toBe("erin2");
    const login = await api<Session>(base, "POST", "/api/auth/login", { username: "erin", password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(owner.user.id);
  });

  test("OIDC-5 a wrong state is refused, and so is a callback without, or with a forged, login cookie", async () => {
    provider.user = { sub: "sub-state", preferred_username: "frank" };
    const s = await start(base);
    const cb = await authorize(s);
    const wrong = new URL(cb);
    wrong.searchParams.set("state", "x".repeat(43));
    expect(await refused(base, s, wrong)).toBe("unauthenticated");
    const s2 = await start(base);
    const cb2 = await authorize(s2);
    expect(await refused(base, s2, cb2, "")).toBe("invalid_request"); // no cookie at all
    const [h, p] = s2.cookie.split(".");
    expect(await refused(base, s2, cb2, `${h}.${p}.AAAA`)).toBe("invalid_request");
    // Another browser's cookie (its own state) does not fit this callback either.
    expect(await refused(base, s2, cb2, s.cookie)).toBe("unauthenticated");
  });

  test("OIDC-6 a replayed code is refused", async () => {
    provider.user = { sub: "sub-replay", preferred_username: "grace" };
    const s = await start(base);
    const cb = await authorize(s);
    expect(handoff((await callback(cb, s.cookie)).location)).toBeTruthy();
    expect(await refused(base, s, cb)).toBe("unauthenticated");
  });

  for (const [id, what, tweak] of [
    ["OIDC-7", "an ID token for another audience", { aud: "someone-else" }],
    ["OIDC-8", "an expired ID token", { expIn: -120 }],
    ["OIDC-9", "an ID token with the wrong nonce", { nonce: "n".repeat(43) }],
    ["OIDC-10", "an ID token from the wrong issuer", { iss: "http://127.0.0.1:1" }],
    ["OIDC-11", "an ID token signed with a key the provider does not publish", { foreignKey: true }],
  ] as const) {
    test(`${id} ${what} is refused and no account is made`, async () => {
      provider.user = { sub: `sub-${id}`, preferred_username: `victim-${id.toLowerCase()}` };
      const s = await start(base);
      const cb = await authorize(s);
      provider.next = tweak;
      expect(await refused(base, s, cb)).toBe("unauthenticated");
      expect(await server.ctx.store.identities.find(provider.issuer, `sub-${id}`)).toBeUndefined();
      expect(await server.ctx.store.userByName(`victim-${id.toLowerCase()}`)).toBeUndefined();
    });
  }

  test("OIDC-12 an error from the provider, a callback without a code and an oversized one are refused", async () => {
    const s = await start(base);
    const state = s.authorize.searchParams.get("state")!;
    const cb = `${base}/api/auth/oidc/callback`;
    expect(await refused(base, s, `${cb}?error=access_denied&state=${state}&iss=${encodeURIComponent(provider.issuer)}`)).toBe("unauthenticated");
    expect(await refused(base, s, `${cb}?state=${state}&iss=${encodeURIComponent(provider.issuer)}`)).toBe("unauthenticated");
    expect(await refused(base, s, `${cb}?code=${"c".repeat(5000)}&state=${state}`)).toBe("invalid_request");
    expect(await refused(base, s, cb)).toBe("unauthenticated");
    const bad = await fetch(`${base}/api/auth/oidc/start?invite=${encodeURIComponent("<script>")}`, { redirect: "manual" });
    expect(bad.status).toBe(400);
    expect((await fetch(`${base}/api/auth/oidc/start?invite=${"a".repeat(129)}`, { redirect: "manual" })).status).toBe(400);
  });

  test("OIDC-13 a deactivated account is refused at the callback", async () => {
    provider.user = { sub: "sub-gone", preferred_username: "heidi" };
    const first = await ssoLogin(base);
    await server.ctx.store.deactivateUser(first.user.id, Date.now());
    const s = await start(base);
    expect(await refused(base, s, await authorize(s))).toBe("forbidden");
  });

  test("OIDC-14 the login survives a callback that lands on another node (the state is in the cookie, not in a process)", async () => {
    const secret = "s".repeat(40);
    // Two nodes with one signing key behind one public address (played here by the first server's).
    const a = await startServer({ config: oidcConfig(provider, { jwtSecret: secret, publicUrl: base }) });
    const b = await startServer({ config: oidcConfig(provider, { jwtSecret: secret, publicUrl: base }) });
    try {
      provider.user = { sub: "sub-cluster", preferred_username: "ivan" };
      const s = await start(a.url);
      const cb = await authorize(s);
      expect(cb.origin).toBe(new URL(base).origin); // --public-url names the callback
      const onB = new URL(cb.pathname + cb.search, b.url);
      const token = handoff((await callback(onB, s.cookie)).location)!;
      expect((await exchange(b.url, token)).body.user.username).toBe("ivan");
      // A cookie signed by a node with another key is refused.
      const s2 = await start(base);
      const cb2 = await authorize(s2);
      expect(await refused(a.url, s2, new URL(cb2.pathname + cb2.search, a.url))).toBe("invalid_request");
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test("OIDC-15 a wrong client secret is refused by the provider and no session is given", async () => {
    const wrong = await startServer({ config: oidcConfig(provider, { oidcClientSecret: "wrong-secret" }) });
    try {
      const s = await start(wrong.url);
      expect(await refused(wrong.url, s, await authorize(s))).toBe("unauthenticated");
    } finally {
      await wrong.stop();
    }
  });
});

describe("single sign-on and the registration mode", () => {
  let provider: TestProvider;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.stop());

  /** A server whose first account (the admin) exists, so the registration mode is in force. */
  async function serverWith(extra: Partial<Config>): Promise<{ server: TestServer; admin: Session }> {
    const server = await startServer({ config: oidcConfig(provider, extra) });
    return { server, admin: await register(server.url, "admin", PASSWORD) };
  }

  test("OIDC-19 by default (--oidc-registration open) the provider's users get accounts even when registration is closed", async () => {
    const { server } = await serverWith({ registration: "closed" });
    try {
      expect((await api(server.url, "POST", "/api/auth/register", { username: "walkin", password: PASSWORD })).body.error.code).toBe("registration_closed");
      provider.user = { sub: "sub-open", preferred_username: "jules" };
      expect((await ssoLogin(server.url)).user.username).toBe("jules");
    } finally {
      await server.stop();
    }
  });

  test("OIDC-20 with --oidc-registration invite a first login needs a usable invite, which it uses up and whose rooms it joins; linked accounts sign in as before", async () => {
    const { server, admin } = await serverWith({ registration: "invite", oidcRegistration: "invite" });
    const base = server.url;
    try {
      provider.user = { sub: "sub-invited", preferred_username: "kim" };
      const s = await start(base);
      expect(await refused(base, s, await authorize(s))).toBe("invite_required");
      expect(await server.ctx.store.identities.find(provider.issuer, "sub-invited")).toBeUndefined();
      const room = (await api(base, "POST", "/api/rooms", { name: "welcome", kind: "private" }, admin.accessToken)).body.room.id;
      const invite = (await api(base, "POST", "/api/invites", { maxUses: 1, rooms: [room] }, admin.accessToken)).body.invite;
      const withInvite = await start(base, `?invite=${invite.code}`);
      const token = handoff((await callback(await authorize(withInvite), withInvite.cookie)).location)!;
      const kim = (await exchange(base, token)).body;
      expect(kim.user.username).toBe("kim");
      const rooms = (await api(base, "GET", "/api/rooms", undefined, kim.accessToken)).body.rooms;
      expect(rooms.map((r: { id: string }) => r.id)).toContain(room);
      // Used up: the next newcomer is refused with the one code for every unusable invite.
      provider.user = { sub: "sub-late", preferred_username: "lee" };
      const late = await start(base, `?invite=${invite.code}`);
      expect(await refused(base, late, await authorize(late))).toBe("invalid_invite");
      // Kim is linked now: no invite needed any more.
      provider.user = { sub: "sub-invited", preferred_username: "kim" };
      expect((await ssoLogin(base)).user.id).toBe(kim.user.id);
    } finally {
      await server.stop();
    }
  });

  test("OIDC-21 with --oidc-registration invite and registration closed, a first login is refused", async () => {
    const { server } = await serverWith({ registration: "closed", oidcRegistration: "invite" });
    try {
      provider.user = { sub: "sub-closed", preferred_username: "max" };
      const s = await start(server.url);
      expect(await refused(server.url, s, await authorize(s))).toBe("registration_closed");
    } finally {
      await server.stop();
    }
  });
});

describe("single sign-on with the provider down", () => {
  test("OIDC-23 the start sends the browser back with an error when the provider cannot be reached, and works once it can", async () => {
    const provider = await startProvider();
    provider.down = true;
    const server = await startServer({ config: oidcConfig(provider) });
    try {
      const res = await fetch(server.url + "/api/auth/oidc/start", { redirect: "manual" });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/#sso_error=internal");
      expect(res.headers.get("set-cookie")).toBeNull();
      provider.down = false;
      provider.user = { sub: "sub-back", preferred_username: "otto" };
      expect((await ssoLogin(server.url)).user.username).toBe("otto");
    } finally {
      await server.stop();
      provider.stop();
    }
  });
});

describe("single sign-on and time", () => {
  test("OIDC-22 a login cookie older than 10 minutes and a handed-over token older than 2 minutes are refused", async () => {
    const provider = await startProvider({ user: { sub: "sub-time", preferred_username: "nora" } });
    let now = Date.now();
    const server = await startServer({ config: oidcConfig(provider), clock: { now: () => now } });
    try {
      const slow = await start(server.url);
      const cb = await authorize(slow);
      now += 601_000;
      expect(await refused(server.url, slow, cb)).toBe("invalid_request");
      const s = await start(server.url);
      const token = handoff((await callback(await authorize(s), s.cookie)).location)!;
      now += 121_000;
      expect((await exchange(server.url, token)).status).toBe(401);
    } finally {
      await server.stop();
      provider.stop();
    }
  });
});

describe("single sign-on off", () => {
  test("OIDC-16 without --oidc-issuer the routes say so and no button is offered", async () => {
    const server = await startServer();
    try {
      expect((await api(server.url, "GET", "/api/auth/oidc")).body).toEqual({ enabled: false });
      expect((await fetch(server.url + "/api/auth/oidc/start", { redirect: "manual" })).status).toBe(404);
      expect((await fetch(server.url + "/api/auth/oidc/callback?code=x&state=y", { redirect: "manual" })).status).toBe(404);
    } finally {
      await server.stop();
    }
  });

  test("OIDC-17 settings: the issuer must be https:// except on loopback, and a client id is required", () => {
    const load = (...argv: string[]) => loadConfig(argv, {});
    expect(load("--oidc-issuer", "https://id.example.com/realms/x", "--oidc-client-id", "c").oidcIssuer).toBe("https://id.example.com/realms/x");
    expect(load("--oidc-issuer", "http://127.0.0.1:8080", "--oidc-client-id", "c").oidcRegistration).toBe("open");
    expect(() => load("--oidc-issuer", "http://id.example.com", "--oidc-client-id", "c")).toThrow(ConfigError);
    expect(() => load("--oidc-issuer", "http://10.0.0.1", "--oidc-client-id", "c")).toThrow(/https/);
    expect(() => load("--oidc-issuer", "not a url", "--oidc-client-id", "c")).toThrow(ConfigError);
    expect(() => load("--oidc-issuer", "https://id.example.com")).toThrow(/client-id/);
    expect(() => load("--oidc-registration", "closed")).toThrow(/open or invite/);
    expect(() => load("--public-url", "ftp://x")).toThrow(ConfigError);
    expect(load("--public-url", "https://chat.example.com/").publicUrl).toBe("https://chat.example.com");
    expect(loadConfig([], { PARLEY_OIDC_ISSUER: "https://a.example", PARLEY_OIDC_CLIENT_ID: "c", PARLEY_OIDC_NAME: "Acme" }).oidcName).toBe("Acme");
  });

  test("OIDC-18 usernames come from preferred_username, then name, then the e-mail's local part; display names lose controls", () => {
    expect(displayNameFrom("Eve\u202Egnp.exe\nline\u0000two")).toBe("Eve gnp.exe line two");
    expect(displayNameFrom("🙂".repeat(70))).toBe("🙂".repeat(64));
    expect(displayNameFrom(undefined)).toBe("");
    expect(usernameBase({ preferredUsername: "Zoë Adams" })).toBe("zoe.adams");
    expect(usernameBase({ preferredUsername: "x", name: "Jo Lee" })).toBe("jo.lee");
    expect(usernameBase({ name: "李", email: "li.wei+chat@example.com" })).toBe("li.weichat");
    expect(usernameBase({})).toBe("user");
    expect(usernameBase({ preferredUsername: "a".repeat(50) })).toBe("a".repeat(32));
  });
});
