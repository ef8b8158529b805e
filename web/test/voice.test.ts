// Voice messages in Chromium with a fake microphone: record (MediaRecorder, Opus), upload as an attachment (sniffed as audio
// by the server), the other side plays it inline with its duration and a progress bar; files recorded elsewhere (Ogg/Opus,
// M4A, MP3 from web/test/fixtures/, made with ffmpeg) play the same way, and one this browser cannot decode becomes a download.
// Saves the voice screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium, type Browser, type Locator } from "playwright-core";
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

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
// Two seconds of a 440 Hz tone each, a few KB: `ffmpeg -f lavfi -i sine=frequency=440:duration=2 -ac 1` with libopus (Ogg),
// aac (M4A, the "M4A " brand) and libmp3lame (MP3 with an ID3 tag).
const RECORDED_ELSEWHERE = [
  { file: "voice-note.ogg", mime: "audio/ogg" },
  { file: "voice-note.m4a", mime: "audio/mp4" },
  { file: "voice-note.mp3", mime: "audio/mpeg" },
];

/**
 * Play a voice message to its end: while it plays the button says Pause, the time moves and so does the progress bar, then
 * the element ends and the button says Play again. Seen from the element's own events, so a short file that ends between
 * two polls is still checked.
 */
async function playToEnd(page: Person["page"], voice: Locator): Promise<void> {
  const audio = await voice.locator("audio").elementHandle();
  await audio!.evaluate((el) => {
    const a = el as HTMLAudioElement;
    const group = a.closest(".voice")!;
    const seen = ((a as unknown as { seen: Record<string, boolean> }).seen = {} as Record<string, boolean>);
    a.addEventListener("playing", () => (seen.pauseButton ||= !!group.querySelector('button[aria-label="Pause voice message"]')));
    a.addEventListener("timeupdate", () => {
      if (a.currentTime > 0) seen.advanced = true;
      if (Number((group.querySelector("progress") as HTMLProgressElement).value) > 0) seen.progress = true;
    });
    a.addEventListener("ended", () => (seen.ended = true));
  });
  await voice.getByRole("button", { name: "Play voice message" }).click();
  await page.waitForFunction((el) => (el as unknown as { seen: Record<string, boolean> }).seen.ended, audio, { timeout: 15_000 });
  expect(await audio!.evaluate((el) => (el as unknown as { seen: Record<string, boolean> }).seen)).toEqual({ pauseButton: true, advanced: true, progress: true, ended: true });
  await voice.getByRole("button", { name: "Play voice message" }).waitFor();
}

test("VOICE-W3 Ogg/Opus, M4A (AAC) and MP3 files recorded elsewhere: uploaded as attachments, the other side plays each with its duration", async () => {
  const cara = await newPerson(mic, env.url, { prefix: "cara", displayName: "Cara Cole" });
  const dan = await newPerson(mic, env.url, { prefix: "dan", displayName: "Dan Dale" });
  await createRoom(cara.page, "memos", "Voice notes from phones");
  await joinRoom(dan.page, "memos");
  // This Chromium says it decodes all three (Debian builds it with the proprietary codecs); the test below plays each.
  const can = await dan.page.evaluate((types) => types.map((t) => document.createElement("audio").canPlayType(t)), RECORDED_ELSEWHERE.map((f) => f.mime));
  expect(can.every((c) => c === "probably" || c === "maybe")).toBe(true);

  await cara.page.locator("form.composer:not(.thread-composer) input[type=file]").setInputFiles(
    RECORDED_ELSEWHERE.map(({ file }) => ({ name: file, mimeType: "application/octet-stream", buffer: readFileSync(FIXTURES + file) })),
  );
  for (const { file } of RECORDED_ELSEWHERE) await cara.page.locator(".tray-item", { hasText: file }).getByText(/KB$/).waitFor();
  await cara.page.getByRole("button", { name: "Send message" }).click();

  for (const { file } of RECORDED_ELSEWHERE) {
    const voice = dan.page.getByRole("group", { name: `Voice message ${file}` });
    await voice.waitFor();
    // The duration comes from the file's header: two seconds.
    await voice.locator("time", { hasText: /^0:02$/ }).waitFor();
    await playToEnd(dan.page, voice);
    await voice.locator("time", { hasText: /^0:02$/ }).waitFor();
  }
  // Stored with the types sniffed from the bytes (declared as application/octet-stream above).
  const mimes = await dan.page.evaluate(async () => {
    const s = JSON.parse(localStorage.getItem("parley.session")!);
    const room = location.pathname.split("/").pop()!;
    const res = await fetch(`/api/rooms/${room}/messages?limit=5`, { headers: { authorization: `Bearer ${s.accessToken}` } });
    const { events } = await res.json();
    return events.flatMap((e: { attachments?: { filename: string; mime: string }[] }) => e.attachments ?? []).map((a: { filename: string; mime: string }) => [a.filename, a.mime]);
  });
  expect(mimes).toEqual(RECORDED_ELSEWHERE.map(({ file, mime }) => [file, mime]));
  expect([...cara.errors, ...dan.errors]).toEqual([]);
}, 60_000);

test("VOICE-W4 an audio file this browser cannot decode is offered as a download, not a broken player", async () => {
  const eve = await newPerson(mic, env.url, { prefix: "eve", displayName: "Eve Ennis" });
  const fay = await newPerson(mic, env.url, { prefix: "fay", displayName: "Fay Ford" });
  await createRoom(eve.page, "broken", "Bad bytes");
  await joinRoom(fay.page, "broken");
  // An ID3 tag (so the server sniffs MP3) followed by noise: no decoder can play it, like a codec the browser lacks.
  const noise = Buffer.alloc(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 73 + 41) % 251;
  const broken = Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]), noise]);
  await eve.page.locator("form.composer:not(.thread-composer) input[type=file]").setInputFiles({ name: "broken-note.mp3", mimeType: "audio/mpeg", buffer: broken });
  await eve.page.locator(".tray-item", { hasText: "broken-note.mp3" }).getByText(/KB$/).waitFor();
  await eve.page.getByRole("button", { name: "Send message" }).click();

  const download = fay.page.getByRole("button", { name: "Download broken-note.mp3" });
  await download.waitFor();
  await download.getByText("can't be played in this browser").waitFor();
  expect(await fay.page.getByRole("group", { name: "Voice message broken-note.mp3" }).count()).toBe(0);
  const saved = fay.page.waitForEvent("download");
  await download.click();
  expect((await saved).suggestedFilename()).toBe("broken-note.mp3");
  expect([...eve.errors, ...fay.errors]).toEqual([]);
}, 60_000);
