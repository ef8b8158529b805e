// Voice messages in Chromium with a fake microphone: record (MediaRecorder, Opus), upload as an attachment (sniffed as audio
// by the server), the other side plays it inline with its duration and a progress bar. Saves the voice screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { BROWSER_ARGS, CHROMIUM, createRoom, joinRoom, newPerson, requireBrowser, setup, SHOTS, type Person } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let mic: Browser;
let ann: Person;
let ben: Person;

beforeAll(async () => {
  env = await setup();
  // A browser with a fake microphone (a beep) that needs no permission prompt.
  mic = await chromium.launch({ executablePath: CHROMIUM, args: [...BROWSER_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"] });
}, 60_000);
afterAll(async () => {
  await mic?.close().catch(() => undefined);
  await env?.stop();
});

test("VOICE-W1 record a voice message with a fake microphone; the other side plays it with duration and progress", async () => {
  ann = await newPerson(mic, env.url, { prefix: "ann", displayName: "Ann Archer" });
  ben = await newPerson(mic, env.url, { prefix: "ben", displayName: "Ben Baker" });
  await ann.ctx.grantPermissions(["microphone"]);
  await createRoom(ann.page, "voice", "Talk, don't type");
  await joinRoom(ben.page, "voice");

  await ann.page.getByRole("button", { name: "Record a voice message" }).click();
  await ann.page.getByRole("status").filter({ hasText: "Recording 0:02" }).waitFor({ timeout: 15_000 });
  await ann.page.getByRole("button", { name: "Stop recording" }).click();
  const staged = ann.page.locator(".tray-item", { hasText: /voice-message-.*\.webm/ });
  await staged.getByText(/KB|B$/).waitFor();
  await ann.page.getByRole("button", { name: "Send message" }).click();

  const voice = ben.page.getByRole("group", { name: /^Voice message voice-message-/ });
  await voice.waitFor();
  // The duration is read from the file (MediaRecorder's WebM has none in its header).
  await voice.locator("time", { hasText: /^0:0[1-9]$/ }).waitFor();
  await voice.getByRole("button", { name: "Play voice message" }).click();
  await voice.getByRole("button", { name: "Pause voice message" }).waitFor();
  await ben.page.waitForFunction((el) => Number((el as HTMLProgressElement).value) > 0, await voice.locator("progress").elementHandle());
  // Plays to the end and resets.
  await voice.getByRole("button", { name: "Play voice message" }).waitFor({ timeout: 15_000 });
  // The server stored it as audio, sniffed from the bytes.
  const mime = await ben.page.evaluate(async () => {
    const s = JSON.parse(localStorage.getItem("parley.session")!);
    const room = location.pathname.split("/").pop()!;
    const res = await fetch(`/api/rooms/${room}/messages?limit=5`, { headers: { authorization: `Bearer ${s.accessToken}` } });
    const { events } = await res.json();
    return events.flatMap((e: { attachments?: { mime: string }[] }) => e.attachments ?? []).map((a: { mime: string }) => a.mime);
  });
  expect(mime).toEqual(["audio/webm"]);
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);

test("VOICE-W2 screenshots: a voice message in light, dark and on a phone", async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ben.page.mouse.move(0, 0);
  await ben.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await ben.page.screenshot({ path: SHOTS + "voice-light.png" });
  await ben.page.emulateMedia({ colorScheme: "dark" });
  await ben.page.screenshot({ path: SHOTS + "voice-dark.png" });
  await ben.page.setViewportSize({ width: 390, height: 844 });
  await ben.page.getByRole("group", { name: /^Voice message/ }).waitFor();
  await ben.page.screenshot({ path: SHOTS + "voice-phone.png" });
}, 60_000);
