// Phone layout at 390×844: one pane at a time, no horizontal overflow, back navigation; saves the phone screenshot.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { attach, composer, createRoom, joinRoom, makePng, newPerson, say, seeMessage, setup, SHOTS, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let phone: Person;
let desk: Person;

beforeAll(async () => {
  env = await setup();
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

const noOverflow = (p: Person) => p.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth);

test("phone: one pane, chat works, back returns to the list", async () => {
  desk = await newPerson(env.browser, env.url, { prefix: "dana", displayName: "Dana Desk" });
  phone = await newPerson(env.browser, env.url, { prefix: "pia", displayName: "Pia Phone", viewport: { width: 390, height: 844 } });
  expect(await noOverflow(phone)).toBe(true);
  await createRoom(desk.page, "weekend", "Plans for Saturday");
  await say(desk.page, "Who's up for a hike on **Saturday**? 🥾");
  await say(desk.page, "Trail starts at 9, meet at the `north gate`.");

  await joinRoom(phone.page, "weekend");
  const nav = phone.page.getByRole("navigation", { name: "Conversations" });
  expect(await nav.isVisible()).toBe(false);
  await seeMessage(phone.page, "north gate");
  await say(phone.page, "Count me in! I'll bring snacks.");
  await seeMessage(desk.page, "bring snacks");
  await say(desk.page, "Great — see you there, long message to check wrapping on a narrow screen works fine without horizontal scrolling.");
  await seeMessage(phone.page, "see you there");
  expect(await noOverflow(phone)).toBe(true);
  const box = await composer(phone.page).boundingBox();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(box!.y + box!.height).toBeLessThanOrEqual(844);

  await attach(desk.page, [{ name: "trail-map.png", mimeType: "image/png", buffer: await makePng(desk.page, 360, 220) }]);
  await desk.page.locator(".tray-item", { hasText: "trail-map.png" }).getByText(/KB|B$/).waitFor();
  await say(desk.page, "Here's the trail map 🗺️");
  const map = phone.page.locator("article.msg", { hasText: "trail map" });
  await map.getByRole("img", { name: "trail-map.png" }).waitFor();
  await phone.page.waitForFunction((el) => (el as HTMLImageElement).naturalWidth > 0, await map.getByRole("img").elementHandle());
  const mine = desk.page.locator("article.msg", { hasText: "trail map" });
  await mine.hover();
  await mine.getByRole("button", { name: "Add reaction" }).click();
  await mine.getByRole("menuitem", { name: "React 👍" }).click();
  await map.getByRole("button", { name: /👍 1/ }).waitFor();
  await phone.page.locator(".list").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await composer(phone.page).blur();
  mkdirSync(SHOTS, { recursive: true });
  await phone.page.mouse.move(0, 0);
  await phone.page.screenshot({ path: SHOTS + "phone.png" });

  await phone.page.getByRole("button", { name: "Back to conversations" }).click();
  await nav.waitFor();
  expect(await phone.page.locator(".conversation").isVisible()).toBe(false);
  await phone.page.getByRole("link", { name: /Room weekend/ }).click();
  await seeMessage(phone.page, "bring snacks");
  // Browser back also returns to the list.
  await phone.page.goBack();
  await nav.waitFor();
}, 60_000);
