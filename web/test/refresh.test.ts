// Silent token refresh: with 3-second access tokens the client keeps working, rotating its refresh token.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRoom, joinRoom, newPerson, say, seeMessage, setup, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;

beforeAll(async () => {
  env = await setup({ config: { accessTokenTtlSec: 3 } });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

type Page = import("playwright-core").Page;
const stored = (p: Page) => p.evaluate(() => JSON.parse(localStorage.getItem("parley.session") ?? "null"));

/**
 * Time has to pass here (a token's TTL), and only as much as needed: polls the server with the token `current()`
 * gives until the server refuses it.
 */
async function expired(current: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(env.url + "/api/me", { headers: { authorization: `Bearer ${await current()}` } });
    if (r.status === 401) return;
    if (r.status !== 200) throw new Error(`GET /api/me answered ${r.status}`);
    if (Date.now() > deadline) throw new Error("the access token never expired");
    await Bun.sleep(100);
  }
}

test("tokens refresh silently before expiry; HTTP and WebSocket keep working", async () => {
  const a = await newPerson(env.browser, env.url, { prefix: "ref" });
  const b = await newPerson(env.browser, env.url, { prefix: "reb" });
  const first = await stored(a.page);
  // The page rotates its pair on its own, ahead of expiry: wait until it has.
  await a.page.waitForFunction((old) => JSON.parse(localStorage.getItem("parley.session") ?? "null")?.refreshToken !== old, first.refreshToken, { timeout: 10_000 });
  const later = await stored(a.page);
  expect(later.refreshToken).not.toBe(first.refreshToken);
  expect(later.accessToken).not.toBe(first.accessToken);
  // What follows must run after the first access token has expired.
  await expired(() => first.accessToken);
  await createRoom(a.page, "fresh");
  await joinRoom(b.page, "fresh");
  await say(a.page, "still here after expiry");
  await seeMessage(b.page, "still here after expiry");
  // A reload with an expired stored token still resumes the session. The page would keep rotating its pair,
  // so hold its refreshes back until the stored access token has expired, then reload.
  // (A refresh already in flight may still land: hence polling whatever pair is stored now.)
  await a.page.route("**/api/auth/refresh", (route) => route.abort());
  await expired(async () => (await stored(a.page)).accessToken);
  await a.page.unroute("**/api/auth/refresh");
  await a.page.reload();
  await a.page.getByRole("heading", { level: 1, name: "fresh" }).waitFor();
  await say(a.page, "and after a reload");
  await seeMessage(b.page, "and after a reload");
  expect(a.errors).toEqual([]);
}, 60_000);
