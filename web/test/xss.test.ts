// XSS corpus in messages, display names, room names and topics never executes (window.__xss stays undefined).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { barrier, createRoom, joinRoom, newPerson, say, seeMessage, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let evil: Person;
let victim: Person;

const CORPUS = [
  "<img src=x onerror=window.__xss=1>",
  "<svg onload=window.__xss=1></svg>",
  "<script>window.__xss=1</script>",
  "[click me](javascript:window.__xss=1)",
  "[data link](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
  "[spaced](  javascript:window.__xss=1  )",
  "<a href=\"javascript:window.__xss=1\">raw anchor</a>",
  "![img](javascript:window.__xss=1)",
  "<iframe src=\"javascript:window.__xss=1\"></iframe>",
  "**<img src=x onerror=window.__xss=1>**",
  "`<img src=x onerror=window.__xss=1>`",
  "<details open ontoggle=window.__xss=1>",
  "[x](JaVaScRiPt:window.__xss=1)",
  "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
];
const NAME = "<img src=x onerror=window.__xss=1>";

beforeAll(async () => {
  env = await setup();
  evil = await newPerson(env.browser, env.url, { prefix: "evil", displayName: NAME });
  victim = await newPerson(env.browser, env.url, { prefix: "victim", displayName: "Victim" });
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

test("hostile markup never executes and is shown as text", async () => {
  const room = "<svg onload=window.__xss=1>";
  await createRoom(evil.page, room, "<img src=x onerror=window.__xss=1> topic");
  await joinRoom(victim.page, room);
  for (const body of CORPUS) await say(evil.page, body);
  await say(evil.page, "end of corpus");
  await seeMessage(victim.page, "end of corpus");
  // Barrier: victim's reply reaches evil's page after every corpus message (a room's events arrive in seq order),
  // so both pages have rendered the whole corpus. A payload that became markup is caught by the element check
  // below whether or not its handler has fired yet.
  await barrier(victim.page, [evil.page]);

  for (const p of [evil.page, victim.page]) {
    // Hover and click around so event-driven payloads get a chance to fire.
    for (const a of await p.locator("article.msg .body a").all()) {
      expect((await a.getAttribute("href")) ?? "").not.toMatch(/^\s*(javascript|data):/i);
      await a.click({ modifiers: ["Control"] }).catch(() => undefined);
    }
    await p.mouse.wheel(0, -2000);
    expect(await p.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await p.locator(".conversation img, .conversation svg:not([aria-hidden]), .conversation iframe, .conversation script, .conversation details").count()).toBe(0);
    // The HTML shows as literal text.
    await p.locator("article.msg .body", { hasText: "<img src=x onerror" }).first().waitFor();
    await p.getByRole("heading", { level: 1, name: room }).waitFor();
    expect(await p.locator(".topic").innerText()).toContain("<img src=x onerror=window.__xss=1> topic");
  }
  // The hostile display name renders as text in the message header.
  await victim.page.locator(".sender", { hasText: NAME }).first().waitFor();
  expect([...evil.errors, ...victim.errors]).toEqual([]);
}, 60_000);

test("hostile display name in a DM and a notification-free reload stays inert", async () => {
  await victim.page.getByRole("button", { name: "New direct message" }).click();
  await victim.page.getByLabel("Username").fill(evil.username);
  await victim.page.getByRole("button", { name: "Start chat" }).click();
  await victim.page.getByRole("heading", { level: 1, name: NAME }).waitFor();
  await say(victim.page, "hi <b>there</b>");
  await victim.page.reload();
  await victim.page.getByRole("navigation", { name: "Conversations" }).waitFor();
  // Wait for what the reload renders with the hostile name: the DM heading and its message; and for evil's page
  // to have taken in the new DM. A payload that became markup is caught by the element check whether or not
  // its handler has fired yet.
  await victim.page.getByRole("heading", { level: 1, name: NAME }).waitFor();
  await seeMessage(victim.page, "hi <b>there</b>");
  await evil.page.getByRole("link", { name: /^Direct message with Victim/ }).waitFor();
  expect(await victim.page.locator(".conversation img, .conversation svg:not([aria-hidden]), .conversation iframe, .conversation script, .conversation details").count()).toBe(0);
  expect(await victim.page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(await evil.page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
}, 60_000);
