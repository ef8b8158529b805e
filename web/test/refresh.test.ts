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

const stored = (p: import("playwright-core").Page) => p.evaluate(() => JSON.parse(localStorage.getItem("parley.session") ?? "null"));

test("tokens refresh silently before expiry; HTTP and WebSocket keep working", async () => {
  const a = await newPerson(env.browser, env.url, { prefix: "ref" });
  const b = await newPerson(env.browser, env.url, { prefix: "reb" });
  const first = await stored(a.page);
  await a.page.waitForTimeout(7_000);
  const later = await stored(a.page);
  expect(later.refreshToken).not.toBe(first.refreshToken);
  expect(later.accessToken).not.toBe(first.accessToken);
  await createRoom(a.page, "fresh");
  await joinRoom(b.page, "fresh");
  await say(a.page, "still here after expiry");
  await seeMessage(b.page, "still here after expiry");
  // A reload with the stored (possibly expired) token still resumes the session.
  await a.page.waitForTimeout(3_500);
  await a.page.reload();
  await a.page.getByRole("heading", { level: 1, name: "fresh" }).waitFor();
  await say(a.page, "and after a reload");
  await seeMessage(b.page, "and after a reload");
  expect(a.errors).toEqual([]);
}, 60_000);
