// Members: read receipts, mention badges, notification mute, own status and DM last-seen, room settings, and admin kick / ban / mute.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRoom, joinRoom, newPerson, say, seeMessage, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  env = await setup({ config: { presenceGraceMs: 300 } });
  alice = await newPerson(env.browser, env.url, { prefix: "alice", displayName: "Alice" });
  bob = await newPerson(env.browser, env.url, { prefix: "bob", displayName: "Bob" });
  await createRoom(alice.page, "crew");
  await joinRoom(bob.page, "crew");
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

test("READ-1: 'Seen by' follows the other member's read mark", async () => {
  await say(alice.page, "Did everyone read the brief?");
  await seeMessage(bob.page, "read the brief");
  const seen = alice.page.getByRole("note", { name: "Seen by Bob" });
  await seen.waitFor();
  // It sits right under the message Bob has read.
  const prev = await seen.evaluate((el) => el.previousElementSibling?.textContent ?? "");
  expect(prev).toContain("Did everyone read the brief?");
  // Bob looks elsewhere; a new message is not seen yet, the marker stays on the old one.
  await createRoom(bob.page, "bobs-corner");
  await say(alice.page, "Second point: budget");
  // Instead of a sleep: alice's page has the new message, and bob's page has taken it in and counts it unread
  // (marking it read would have cleared that count in the same step as sending the read mark).
  await seeMessage(alice.page, "Second point: budget");
  await bob.page.getByRole("link", { name: /^Room crew, 1 unread$/ }).waitFor();
  const under = await alice.page.getByRole("note", { name: "Seen by Bob" }).evaluate((el) => el.previousElementSibling?.textContent ?? "");
  expect(under).toContain("read the brief");
}, 60_000);

test("READ-2: mentions get their own badge; the bell mutes a room and survives a reload", async () => {
  await say(alice.page, `@${bob.username} can you take this one?`);
  const row = bob.page.getByRole("link", { name: /^Room crew, 2 unread, 1 mention/ });
  await row.waitFor();
  expect(await row.locator(".badge.mention").textContent()).toBe("@1");
  expect(await row.locator(".badge:not(.mention)").textContent()).toBe("2");

  await row.hover();
  await bob.page.getByRole("button", { name: "Mute #crew" }).click();
  await bob.page.getByRole("link", { name: /^Room crew, 2 unread, 1 mention, muted/ }).waitFor();
  await bob.page.reload();
  await bob.page.getByRole("link", { name: /^Room crew, .*muted$/ }).waitFor();
  await bob.page.getByRole("link", { name: /^Room crew/ }).hover();
  await bob.page.getByRole("button", { name: "Unmute #crew" }).click();
  await bob.page.getByRole("link", { name: /^Room crew, 2 unread, 1 mention$/ }).waitFor();
}, 60_000);

test("PRES-4: own status reaches others; a DM peer who left shows last seen", async () => {
  await bob.page.getByRole("button", { name: /Your status: Online/ }).click();
  await bob.page.getByRole("menuitemradio", { name: /Do not disturb/ }).click();
  await bob.page.getByRole("button", { name: /Your status: Do not disturb/ }).waitFor();
  await alice.page.getByRole("button", { name: /^Members/ }).click();
  const dlg = alice.page.getByRole("dialog", { name: "Members of #crew" });
  await dlg.locator(".member", { hasText: "Bob" }).getByText("do not disturb").waitFor();
  await dlg.getByRole("button", { name: "Close" }).click();

  const carol = await newPerson(env.browser, env.url, { prefix: "carol", displayName: "Carol" });
  await alice.page.getByRole("button", { name: "New direct message" }).click();
  await alice.page.getByLabel("Username").fill(carol.username);
  await alice.page.getByRole("button", { name: "Start chat" }).click();
  await alice.page.getByRole("heading", { level: 1, name: "Carol" }).waitFor();
  await alice.page.locator(".conv-head .peer-status", { hasText: "online" }).waitFor();
  await carol.ctx.close();
  await alice.page.locator(".conv-head .peer-status", { hasText: /last seen/ }).waitFor({ timeout: 10_000 });
  await alice.page.getByRole("link", { name: /Direct message with Carol/ }).getByText(/last seen/).waitFor();
}, 60_000);

test("MOD-ROOM-1 / MOD-SLOW-1: an admin renames the room, sets the topic and slow mode", async () => {
  await alice.page.getByRole("link", { name: /^Room crew/ }).click();
  await bob.page.getByRole("link", { name: /^Room crew/ }).click();
  expect(await bob.page.getByRole("button", { name: "Room settings" }).count()).toBe(0);
  await alice.page.getByRole("button", { name: "Room settings" }).click();
  const dlg = alice.page.getByRole("dialog", { name: "Room settings" });
  await dlg.getByLabel("Name").fill("crew-hq");
  await dlg.getByLabel("Topic").fill("Launch coordination");
  await dlg.getByLabel("Slow mode").selectOption("30");
  await dlg.getByRole("button", { name: "Save" }).click();
  await bob.page.getByRole("heading", { level: 1, name: "crew-hq" }).waitFor();
  await bob.page.locator(".conv-head .topic", { hasText: "Launch coordination" }).waitFor();
  await bob.page.getByText("Slow mode is on: one message every 30 s.").waitFor();
  await bob.page.getByText("Alice renamed the room to “crew-hq”, set the topic: Launch coordination and turned on slow mode (30 s)").waitFor();
}, 60_000);

test("MOD-MUTE-1 / MOD-BAN-1: an admin mutes, removes and bans a member from the member list", async () => {
  await alice.page.getByRole("button", { name: /^Members/ }).click();
  const dlg = alice.page.getByRole("dialog", { name: "Members of #crew-hq" });
  const row = dlg.locator(".member", { hasText: "Bob" });
  // The role badge (exact text): Bob's row also has a "Make owner" button now.
  await row.getByText("owner", { exact: true }).count().then((n) => expect(n).toBe(0));
  await dlg.locator(".member", { hasText: "(you)" }).getByText("owner", { exact: true }).waitFor();
  await row.getByLabel("Mute Bob").selectOption(String(15 * 60));
  await row.getByText(/muted until/).waitFor();
  await bob.page.getByText(/You're muted in this room until/).waitFor();
  await row.getByRole("button", { name: "Unmute" }).click();
  await row.getByLabel("Mute Bob").waitFor();

  alice.page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Remove" }).click();
  await bob.page.getByRole("link", { name: /^Room crew-hq/ }).waitFor({ state: "detached" });
  await joinRoom(bob.page, "crew-hq");
  await row.waitFor();
  alice.page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Ban" }).click();
  await bob.page.getByRole("link", { name: /^Room crew-hq/ }).waitFor({ state: "detached" });
  await row.waitFor({ state: "detached" });
  // Rejoining is refused with a message.
  await bob.page.getByRole("button", { name: "Browse public rooms" }).click();
  await bob.page.getByRole("dialog").getByRole("listitem").filter({ hasText: "crew-hq" }).getByRole("button", { name: "Join" }).click();
  await bob.page.getByRole("dialog").getByRole("alert").filter({ hasText: /./ }).waitFor();
  expect([...alice.errors, ...bob.errors]).toEqual([]);
}, 60_000);
