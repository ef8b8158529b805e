// Threads (protocol 1.2) in Chromium: two people thread a conversation live, the root's summary, "Also send to the room",
// the thread full screen on a phone; files in the thread's own composer; forward with its origin. Saves the thread screenshots
// (light and dark, desktop and phone).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { Client, createRoom as apiCreateRoom, register } from "../../server/test/harness";
import { createRoom, joinRoom, makePng, newPerson, requireBrowser, say, seeMessage, setup, SHOTS, type Person } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let ann: Person;
let ben: Person;

beforeAll(async () => {
  env = await setup({ config: { writeBurst: 100_000, writeRatePerSec: 100_000 } });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

const row = (page: Page, text: string) => page.locator("article.msg[data-seq]", { hasText: text }).first();
const panel = (page: Page) => page.getByRole("complementary", { name: "Thread" });

async function openThread(page: Page, text: string): Promise<void> {
  const m = row(page, text);
  await m.hover();
  await m.getByRole("button", { name: "Open thread" }).click();
  await panel(page).waitFor();
}

async function replyInThread(page: Page, text: string, alsoInRoom = false): Promise<void> {
  const p = panel(page);
  if (alsoInRoom) await p.getByLabel("Also send to the room").check();
  const box = p.getByRole("textbox", { name: "Reply in thread" });
  await box.fill(text);
  await box.press("Enter");
  await p.locator("article.msg[data-seq] .body", { hasText: text }).waitFor();
}

test("THREAD-W1 two people thread a conversation live; the root shows the count, and replies stay out of the room", async () => {
  ann = await newPerson(env.browser, env.url, { prefix: "ann", displayName: "Ann Archer" });
  ben = await newPerson(env.browser, env.url, { prefix: "ben", displayName: "Ben Baker" });
  await createRoom(ann.page, "launch", "Release planning");
  await joinRoom(ben.page, "launch");
  await say(ann.page, "Should we ship the **beta** on Friday?");
  await say(ann.page, "Release notes draft is in the shared folder.");
  await seeMessage(ben.page, "ship the");

  await openThread(ben.page, "ship the");
  await expect(panel(ben.page).locator("article.msg", { hasText: "ship the" }).count()).resolves.toBe(1);
  await replyInThread(ben.page, "Friday works if QA signs off Thursday.");
  // Ann's root shows the summary live; the reply is not in her room list.
  const bar = row(ann.page, "ship the").getByRole("button", { name: /1 reply, open the thread/ });
  await bar.waitFor();
  expect(await ann.page.locator(".list article.msg", { hasText: "QA signs off" }).count()).toBe(0);
  await bar.click();
  await panel(ann.page).locator("article.msg", { hasText: "QA signs off" }).waitFor();
  // Ann answers in the thread; Ben's open panel gets it live.
  await replyInThread(ann.page, "I'll ping QA now.");
  await panel(ben.page).locator("article.msg", { hasText: "ping QA" }).waitFor();
  await row(ben.page, "ship the").getByRole("button", { name: /2 replies/ }).waitFor();
  // "Also send to the room": in the thread and in the room, marked as a thread reply.
  await replyInThread(ben.page, "QA says go — shipping Friday 🚀", true);
  const inRoom = ann.page.locator(".list article.msg", { hasText: "shipping Friday" });
  await inRoom.waitFor();
  await inRoom.getByRole("button", { name: "Replied in a thread" }).waitFor();
  await panel(ann.page).locator("article.msg", { hasText: "shipping Friday" }).waitFor();
  await row(ann.page, "ship the").getByRole("button", { name: /3 replies/ }).waitFor();
  // Participants' faces in the summary: Ben and Ann.
  expect(await row(ann.page, "ship the").locator(".thread-faces .avatar").count()).toBe(2);

  // After a reload the summary comes from history, the thread from history with `thread`.
  await ben.page.reload();
  await row(ben.page, "ship the").getByRole("button", { name: /3 replies/ }).click();
  for (const t of ["QA signs off", "ping QA", "shipping Friday"]) await panel(ben.page).locator("article.msg", { hasText: t }).waitFor();
  await panel(ben.page).getByRole("button", { name: "Close thread" }).click();
  await panel(ben.page).waitFor({ state: "detached" });
  // A search hit on a thread reply opens its thread.
  await ben.page.keyboard.press("Control+k");
  const dlg = ben.page.getByRole("dialog", { name: "Search messages" });
  await dlg.getByRole("searchbox", { name: "Search messages" }).fill("ping QA");
  await dlg.getByRole("button", { name: /launch.*ping QA/ }).click();
  await panel(ben.page).locator("article.msg", { hasText: "ping QA" }).waitFor();
  await panel(ben.page).getByRole("button", { name: "Close thread" }).click();
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);

test("THREAD-W2 screenshots: thread panel on desktop (light, dark) and full screen on a phone", async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ann.page.mouse.move(0, 0);
  await ann.page.screenshot({ path: SHOTS + "thread-light.png" });
  const dark = await newPerson(env.browser, env.url, { prefix: "dee", displayName: "Dee Dark", scheme: "dark" });
  await joinRoom(dark.page, "launch");
  await row(dark.page, "ship the").getByRole("button", { name: /3 replies/ }).click();
  await panel(dark.page).locator("article.msg", { hasText: "shipping Friday" }).waitFor();
  await dark.page.mouse.move(0, 0);
  await dark.page.screenshot({ path: SHOTS + "thread-dark.png" });

  const phone = await newPerson(env.browser, env.url, { prefix: "pat", displayName: "Pat Phone", viewport: { width: 390, height: 844 } });
  await joinRoom(phone.page, "launch");
  await row(phone.page, "ship the").getByRole("button", { name: /3 replies/ }).click();
  const p = panel(phone.page);
  await p.locator("article.msg", { hasText: "shipping Friday" }).waitFor();
  const box = (await p.boundingBox())!;
  expect([box.x, box.y, box.width, box.height]).toEqual([0, 0, 390, 844]);
  expect(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await phone.page.screenshot({ path: SHOTS + "thread-phone.png" });
  await replyInThread(phone.page, "Phones can thread too 📱");
  await panel(ann.page).locator("article.msg", { hasText: "Phones can thread" }).waitFor();
  await p.getByRole("button", { name: "Close thread" }).click();
  await phone.page.getByRole("heading", { level: 1, name: "launch" }).waitFor();
  expect([...dark.errors, ...phone.errors]).toEqual([]);
}, 60_000);

test("FWD-W1 forward a message to a DM: the copy shows where it came from", async () => {
  // A DM between Ann and Ben.
  await ann.page.getByRole("button", { name: "New direct message" }).click();
  await ann.page.getByLabel("Username").fill(ben.username);
  await ann.page.getByRole("button", { name: "Start chat" }).click();
  await ann.page.getByRole("heading", { level: 1, name: "Ben Baker" }).waitFor();
  await ann.page.getByRole("link", { name: /^Room launch/ }).click();
  await ann.page.getByRole("heading", { level: 1, name: "launch" }).waitFor();
  const m = row(ann.page, "Release notes draft");
  await m.hover();
  await m.getByRole("button", { name: "Forward" }).click();
  const dlg = ann.page.getByRole("dialog", { name: "Forward message" });
  await dlg.getByRole("button", { name: "Ben Baker" }).click();
  await dlg.waitFor({ state: "detached" });
  await ben.page.getByRole("link", { name: /Direct message with Ann Archer/ }).click();
  const copy = row(ben.page, "Release notes draft");
  await copy.waitFor();
  await copy.locator(".fwd-note", { hasText: "Forwarded from #launch · Ann Archer" }).waitFor();
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);

test("THREAD-W3 a long thread pages back with \"Load earlier replies\"; a search hit on a reply opens its thread", async () => {
  const seed = await register(env.url);
  await apiCreateRoom(env.url, seed, "public", "longthread");
  const c = await Client.connect({ wsUrl: env.url.replace("http", "ws") + "/ws" }, seed);
  try {
    const rooms = (await (await fetch(`${env.url}/api/rooms`, { headers: { authorization: `Bearer ${seed.accessToken}` } })).json()) as { rooms: { id: string; name: string }[] };
    const room = rooms.rooms.find((r) => r.name === "longthread")!.id;
    const send = async (body: string, thread?: number) => {
      const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, thread });
      if (r.type !== "ok" || !r.event) throw new Error(JSON.stringify(r));
      return r.event.seq;
    };
    const root = await send("Retro notes, one per reply");
    for (let i = 1; i <= 60; i++) await send(`retro note ${i}`, root);
    // Newer room messages, so the room's newest page holds only the last replies.
    for (let i = 1; i <= 80; i++) await send(`later chatter ${i}`);
  } finally {
    c.close();
  }
  await joinRoom(ben.page, "longthread");
  await seeMessage(ben.page, "later chatter 80");
  await ben.page.keyboard.press("Control+k");
  const dlg = ben.page.getByRole("dialog", { name: "Search messages" });
  await dlg.getByRole("searchbox", { name: "Search messages" }).fill('"retro note 60"');
  await dlg.getByRole("button", { name: /longthread.*retro note 60/ }).click();
  const p = panel(ben.page);
  const note = (n: number) => p.locator("article.msg .body", { hasText: new RegExp(`^retro note ${n}\\s*$`) });
  await note(60).waitFor();
  await note(11).waitFor();
  expect(await note(1).count()).toBe(0);
  await p.getByRole("button", { name: "Load earlier replies" }).click();
  await note(1).waitFor();
  await p.getByRole("button", { name: "Load earlier replies" }).waitFor({ state: "detached" });
  const notes = await p.locator("article.msg .body").allTextContents();
  expect(notes.filter((t) => t.startsWith("retro note")).length).toBe(60);
  // The room list never shows the replies.
  expect(await ben.page.locator(".list article.msg", { hasText: "retro note" }).count()).toBe(0);
  expect(ben.errors).toEqual([]);
}, 60_000);

test("THREAD-W4 a thread reply with an image (and a dropped file): staged in the thread's own composer, it shows in the other person's thread panel", async () => {
  for (const page of [ann.page, ben.page]) {
    await page.getByRole("link", { name: /^Room launch/ }).click();
    await page.getByRole("heading", { level: 1, name: "launch" }).waitFor();
  }
  await openThread(ann.page, "ship the");
  await openThread(ben.page, "ship the");
  const png = await makePng(ann.page, 320, 200);
  const p = panel(ann.page);
  await p.locator("input[type=file]").setInputFiles({ name: "release-board.png", mimeType: "image/png", buffer: png });
  await p.locator(".tray-item", { hasText: "release-board.png" }).getByText(/KB$/).waitFor();
  // A file dropped on the thread panel goes to the thread's composer too.
  await p.getByRole("log", { name: "Thread messages" }).evaluate((el) => {
    const dt = new DataTransfer();
    dt.items.add(new File(["1. tag\n2. build\n3. announce\n"], "checklist.txt", { type: "text/plain" }));
    el.dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true, cancelable: true }));
    el.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await p.locator(".tray-item", { hasText: "checklist.txt" }).getByText(/B$/).waitFor();
  // The files wait in the thread's tray, not the room's.
  expect(await ann.page.locator("form.composer:not(.thread-composer) .tray-item").count()).toBe(0);
  const box = p.getByRole("textbox", { name: "Reply in thread" });
  await box.fill("Here is the release board");
  await box.press("Enter");
  await p.locator(".tray-item").waitFor({ state: "detached" });

  const reply = panel(ben.page).locator("article.msg[data-seq]", { hasText: "Here is the release board" });
  await reply.waitFor();
  const img = reply.getByRole("img", { name: "release-board.png" });
  await img.waitFor();
  await ben.page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 320, await img.elementHandle());
  await reply.getByRole("button", { name: "Download checklist.txt" }).waitFor();
  // A thread reply, so not in the room's list.
  expect(await ben.page.locator(".list article.msg", { hasText: "release board" }).count()).toBe(0);
  await row(ben.page, "ship the").getByRole("button", { name: /5 replies/ }).waitFor();
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);
