// Attachments: paperclip upload with a progress bar, inline image preview and file download for the other member,
// paste and drop, and clear errors for a refused type (415) and a file over the limit (413).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { attach, composer, createRoom, joinRoom, makePng, newPerson, say, seeMessage, setup, type Person, requireBrowser } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let alice: Person;
let bob: Person;

beforeAll(async () => {
  env = await setup({ config: { uploadMaxBytes: 400_000 } });
  alice = await newPerson(env.browser, env.url, { prefix: "alice", displayName: "Alice" });
  bob = await newPerson(env.browser, env.url, { prefix: "bob", displayName: "Bob" });
  await createRoom(alice.page, "files");
  await joinRoom(bob.page, "files");
}, 60_000);
afterAll(async () => {
  await env?.stop();
});

test("UP-8: an image and a text file upload with progress, send with the message, and reach the other member", async () => {
  // Slow the upload down so the progress bar is observable.
  const cdp = await alice.ctx.newCDPSession(alice.page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 150 * 1024 });
  const notes = Buffer.from("Meeting notes\n".padEnd(200_000, "lorem ipsum dolor sit amet "));
  await attach(alice.page, [{ name: "notes.txt", mimeType: "text/plain", buffer: notes }]);
  const bar = alice.page.getByRole("progressbar", { name: "Uploading notes.txt" });
  await bar.waitFor();
  expect(await alice.page.getByRole("button", { name: "Send message" }).isDisabled()).toBe(true);
  await bar.waitFor({ state: "detached", timeout: 15_000 });
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  await attach(alice.page, [{ name: "mockup.png", mimeType: "image/png", buffer: await makePng(alice.page, 480, 300) }]);
  await alice.page.locator(".tray-item", { hasText: "mockup.png" }).getByText(/KB|B$/).waitFor();
  await say(alice.page, "Notes and the new mockup");
  await seeMessage(bob.page, "Notes and the new mockup");
  const msg = bob.page.locator("article.msg", { hasText: "Notes and the new mockup" });
  const img = msg.getByRole("img", { name: "mockup.png" });
  await img.waitFor();
  await bob.page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 480, await img.elementHandle());
  expect(await img.getAttribute("src")).toMatch(/^blob:/);
  // The text file is a download, not a page.
  const dl = bob.page.waitForEvent("download");
  await msg.getByRole("button", { name: "Download notes.txt" }).click();
  expect((await dl).suggestedFilename()).toBe("notes.txt");
  // The tray is empty again.
  expect(await alice.page.locator(".tray-item").count()).toBe(0);
}, 60_000);

test("a files-only message shows just the files; paste and drop attach too", async () => {
  const png = (await makePng(alice.page, 120, 80)).toString("base64");
  // Paste into the composer.
  await composer(alice.page).evaluate((ta, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
    ta.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
  }, png);
  await alice.page.locator(".tray-item", { hasText: "pasted.png" }).waitFor();
  // Drop on the conversation.
  await alice.page.locator("section.conversation").evaluate((el, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
    el.dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true, cancelable: true }));
    el.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, png);
  await alice.page.locator(".tray-item", { hasText: "dropped.png" }).waitFor();
  await alice.page.getByRole("button", { name: "Send message" }).and(alice.page.locator(":enabled")).waitFor();
  await composer(alice.page).press("Enter");
  const msg = bob.page.locator("article.msg[data-seq]", { has: bob.page.getByRole("img", { name: "dropped.png" }) });
  await msg.waitFor();
  await msg.getByRole("img", { name: "pasted.png" }).waitFor();
  expect(await msg.locator(".body").count()).toBe(0);
}, 60_000);

test("UP-9 / UP-14: a refused type and a too-large file are explained in the tray", async () => {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  await attach(alice.page, [{ name: "evil.svg", mimeType: "image/svg+xml", buffer: svg }]);
  await alice.page.locator(".tray-item.failed", { hasText: "“evil.svg” can't be shared" }).waitFor();
  await attach(alice.page, [{ name: "huge.png", mimeType: "image/png", buffer: await makePng(alice.page, 400, 400, true) }]);
  await alice.page.locator(".tray-item.failed", { hasText: "“huge.png” is too large" }).waitFor();
  // Failed files are never sent; they can be dismissed.
  await alice.page.getByRole("button", { name: "Remove evil.svg" }).click();
  await alice.page.getByRole("button", { name: "Remove huge.png" }).click();
  expect(await alice.page.locator(".tray-item").count()).toBe(0);
  expect([...alice.errors, ...bob.errors]).toEqual([]);
}, 60_000);
