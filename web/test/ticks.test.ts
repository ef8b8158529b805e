// Delivery ticks (protocol 1.2) in Chromium: our message shows one tick when stored, two once the other member's browser
// connects (it reports `delivered`), then "Seen" once they read it. Saves the ticks screenshots (light, dark, phone).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { createRoom, joinRoom, newPerson, requireBrowser, say, seeMessage, setup, SHOTS, type Person } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let ann: Person;
let ben: Person;

beforeAll(async () => {
  env = await setup();
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

const tick = (page: Page, text: string) => page.locator("article.msg[data-seq]", { hasText: text }).first().locator(".ticks");

test("TICK-W1 sent → delivered → seen as the other browser connects and reads", async () => {
  ann = await newPerson(env.browser, env.url, { prefix: "ann", displayName: "Ann Archer" });
  ben = await newPerson(env.browser, env.url, { prefix: "ben", displayName: "Ben Baker" });
  await createRoom(ann.page, "standup", "Daily notes");
  await joinRoom(ben.page, "standup");
  await say(ben.page, "Morning! I'm here.");
  await seeMessage(ann.page, "I'm here");

  // Ben closes Parley: Ann's message is stored, not delivered.
  await ben.page.goto("about:blank");
  await say(ann.page, "Can you review the deploy checklist?");
  await tick(ann.page, "deploy checklist").and(ann.page.getByRole("img", { name: "Sent" })).waitFor();
  expect(await tick(ann.page, "deploy checklist").textContent()).toBe("✓");

  // Ben opens Parley on another screen (not the room): delivered, not seen.
  await ben.page.goto(env.url + "/account");
  await tick(ann.page, "deploy checklist").and(ann.page.getByRole("img", { name: "Delivered" })).waitFor();
  expect(await tick(ann.page, "deploy checklist").textContent()).toBe("✓✓");
  expect(await ann.page.locator(".seen").count()).toBe(0);

  // Ben reads it: "Seen" under the message, as before.
  await ben.page.getByRole("link", { name: /^Room standup/ }).click();
  await seeMessage(ben.page, "deploy checklist");
  await ann.page.getByRole("note", { name: "Seen by Ben Baker" }).waitFor();
  // A new message delivered live to an open browser goes straight to two ticks.
  await say(ann.page, "Thanks!");
  await tick(ann.page, "Thanks!").and(ann.page.getByRole("img", { name: "Delivered" })).waitFor();
  // Ticks are only on our own messages.
  expect(await ann.page.locator("article.msg", { hasText: "I'm here" }).locator(".ticks").count()).toBe(0);
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);

test("TICK-W2 screenshots: ticks in light, dark and on a phone", async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ann.page.mouse.move(0, 0);
  await ann.page.screenshot({ path: SHOTS + "ticks-light.png" });
  await ann.page.emulateMedia({ colorScheme: "dark" });
  await ann.page.screenshot({ path: SHOTS + "ticks-dark.png" });
  await ann.page.setViewportSize({ width: 390, height: 844 });
  await tick(ann.page, "Thanks!").waitFor();
  await ann.page.screenshot({ path: SHOTS + "ticks-phone.png" });
  await ann.page.emulateMedia({ colorScheme: "light" });
  await ann.page.setViewportSize({ width: 1280, height: 800 });
}, 60_000);
