// Optimistic sending: a message written offline shows as pending, survives a reload, and is delivered exactly once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { barrier, composer, createRoom, joinRoom, newPerson, say, seeMessage, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let alice: Person;
let bob: Person;
let carol: Person; // a third member: posts markers while alice is offline

beforeAll(async () => {
  env = await setup();
  alice = await newPerson(env.browser, env.url, { prefix: "alice", displayName: "Alice" });
  bob = await newPerson(env.browser, env.url, { prefix: "bob", displayName: "Bob" });
  carol = await newPerson(env.browser, env.url, { prefix: "carol", displayName: "Carol" });
  await createRoom(alice.page, "ops");
  await joinRoom(bob.page, "ops");
  await joinRoom(carol.page, "ops");
  await say(alice.page, "online hello");
  await seeMessage(bob.page, "online hello");
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

test("offline message is pending, then delivered after reconnect", async () => {
  await alice.ctx.setOffline(true);
  await alice.page.getByRole("status").filter({ hasText: /offline|Reconnecting/ }).first().waitFor();
  await say(alice.page, "written while offline");
  const pending = alice.page.locator("article.msg.pending", { hasText: "written while offline" });
  await pending.waitFor();
  await pending.getByText("Sending…").waitFor();
  // Barrier: carol posts after alice's message was written; bob gets the room's events in seq order, so had
  // alice's message reached the server it would be on bob's page before carol's marker.
  await barrier(carol.page, [bob.page]);
  expect(await bob.page.locator("article.msg .body", { hasText: "written while offline" }).count()).toBe(0);

  await alice.ctx.setOffline(false);
  await seeMessage(bob.page, "written while offline", 20_000);
  await seeMessage(alice.page, "written while offline", 20_000);
  await pending.waitFor({ state: "detached" });
  // Barrier: a resend from alice's outbox goes out before her marker, so bob would see a duplicate before it;
  // bob's marker then comes after both, so alice's page has every event up to it.
  await barrier(alice.page, [bob.page]);
  await barrier(bob.page, [alice.page]);
  expect(await bob.page.locator("article.msg .body", { hasText: "written while offline" }).count()).toBe(1);
  expect(await alice.page.locator("article.msg .body", { hasText: "written while offline" }).count()).toBe(1);
}, 60_000);

test("pending messages survive a reload and are sent once", async () => {
  await alice.ctx.setOffline(true);
  await alice.page.getByRole("status").filter({ hasText: /offline|Reconnecting/ }).first().waitFor();
  await say(alice.page, "survives the reload");
  await alice.page.locator("article.msg.pending", { hasText: "survives the reload" }).waitFor();
  const stored = await alice.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("parley.outbox.")).map((k) => localStorage.getItem(k)).join(""));
  expect(stored).toContain("survives the reload");
  const url = alice.page.url();
  await alice.page.close();

  await alice.ctx.setOffline(false);
  const page = await alice.ctx.newPage();
  await page.goto(url);
  await seeMessage(page, "survives the reload", 20_000);
  await seeMessage(bob.page, "survives the reload", 20_000);
  // Barrier, as above: a second send from the reloaded page's outbox would reach bob before its marker, and
  // the reloaded page would see it before bob's.
  await barrier(page, [bob.page]);
  await barrier(bob.page, [page]);
  expect(await bob.page.locator("article.msg .body", { hasText: "survives the reload" }).count()).toBe(1);
  expect(await page.locator("article.msg .body", { hasText: "survives the reload" }).count()).toBe(1);
  expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("parley.outbox.")).length)).toBe(0);
  // Messages bob sent meanwhile arrive live.
  await say(bob.page, "welcome back");
  await seeMessage(page, "welcome back");
  expect(await composer(page).isVisible()).toBe(true);
}, 60_000);
