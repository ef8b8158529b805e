// Single sign-on in the browser: the "Sign in with …" button only when configured, and a login through the test provider.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, register } from "../../server/test/harness";
import { startProvider, type TestProvider } from "../../server/test/oidc-provider";
import { createRoom, say, seeMessage, setup, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let provider: TestProvider;
let env: Awaited<ReturnType<typeof setup>>;

beforeAll(async () => {
  provider = await startProvider({ user: { sub: "browser-sub", preferred_username: "olivia", name: "Olivia Browser", email: "olivia@example.test" } });
  env = await setup({ config: { oidcIssuer: provider.issuer, oidcClientId: provider.clientId, oidcClientSecret: provider.clientSecret, oidcName: "Test IdP" } });
}, 60_000);
afterAll(async () => {
  await env?.stop();
  provider?.stop();
});

test("SSO-1 without single sign-on configured the sign-in screen offers no such button", async () => {
  const plain = await setup();
  try {
    const page = await (await plain.browser.newContext()).newPage();
    const asked = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/auth/oidc");
    await page.goto(plain.url);
    expect(await (await asked).json()).toEqual({ enabled: false });
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    expect(await page.getByRole("link", { name: /Sign in with/ }).count()).toBe(0);
  } finally {
    await plain.stop();
  }
}, 60_000);

test("SSO-2 clicking 'Sign in with Test IdP' goes through the provider and lands in the chat signed in, with no token left in the address", async () => {
  const ctx = await env.browser.newContext();
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(env.url);
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  expect(new URL(page.url()).hash).toBe("");
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("parley.session") ?? "null"));
  expect(stored.user.username).toBe("olivia");
  expect(stored.user.displayName).toBe("Olivia Browser");
  // Signed in for real: it can create a room and talk.
  await createRoom(page, "sso-room");
  await say(page, "hello from single sign-on");
  await seeMessage(page, "hello from single sign-on");
  // The address (and so this history entry) keeps no token to replay.
  expect(await page.evaluate(() => location.href)).not.toContain("sso=");
  expect(errors).toEqual([]);
  await ctx.close();
}, 60_000);

test("SSO-3 a refused sign-on comes back to the sign-in screen with a message and no session", async () => {
  const ctx = await env.browser.newContext();
  const page = await ctx.newPage();
  await page.goto(env.url);
  provider.next = { aud: "someone-else" };
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.getByRole("alert").filter({ hasText: "Single sign-on did not work" }).waitFor();
  expect(new URL(page.url()).hash).toBe("");
  expect(await page.evaluate(() => localStorage.getItem("parley.session"))).toBeNull();
  await ctx.close();
}, 60_000);

test("SSO-4 under --oidc-registration invite, an invite link's 'Sign in with' makes the account and joins the invite's room", async () => {
  const invited = await setup({
    config: { registration: "invite", oidcRegistration: "invite", oidcIssuer: provider.issuer, oidcClientId: provider.clientId, oidcClientSecret: provider.clientSecret, oidcName: "Test IdP" },
  });
  try {
    const admin = await register(invited.url, "boss", "correct horse battery");
    const room = (await api(invited.url, "POST", "/api/rooms", { name: "welcome-sso", kind: "private" }, admin.accessToken)).body.room.id;
    const code = (await api(invited.url, "POST", "/api/invites", { rooms: [room] }, admin.accessToken)).body.invite.code;
    provider.user = { sub: "invited-sub", preferred_username: "pat", name: "Pat Invited" };
    const page = await (await invited.browser.newContext()).newPage();
    await page.goto(`${invited.url}/invite/${code}`);
    await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
    await page.getByRole("navigation", { name: "Conversations" }).getByText("welcome-sso").waitFor();
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem("parley.session") ?? "null")?.user.username)).toBe("pat");
  } finally {
    await invited.stop();
  }
}, 60_000);
