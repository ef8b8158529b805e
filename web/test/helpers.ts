// Browser test helpers: build the client once, boot the real server (harness), drive Chromium via playwright-core.
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startServer } from "../../server/test/harness";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;
let built: Promise<void> | undefined;

/** Build web/dist from the current sources (once per test process). */
export function buildClient(): Promise<void> {
  built ??= (async () => {
    // The running bun, not "bunx" from PATH: a fresh machine has bun only under .tools/.
    const p = Bun.spawn([process.execPath, "x", "vite", "build", "--config", "web/vite.config.ts", "--logLevel", "error"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if ((await p.exited) !== 0) throw new Error("vite build failed: " + (await new Response(p.stderr).text()));
  })();
  return built;
}

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
/** Chromium as every browser test starts it. */
export const launchBrowser = () => chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
let launchable: Promise<string | undefined> | undefined;

/**
 * Awaited at the top of every browser test file: when Chromium cannot start, the file fails once,
 * under its own name and with the cause, instead of every test failing in a hook bun calls "(unnamed)".
 */
export async function requireBrowser(testFile: string): Promise<void> {
  launchable ??= launchBrowser().then(
    (b) => b.close().then(() => undefined),
    (e: Error) => e.message.split("\n")[0].replace(/^\w+: /, ""),
  );
  const cause = await launchable;
  if (cause) throw new Error(`${relative(ROOT, testFile)}: Chromium (${CHROMIUM}) cannot start: ${cause}. Install Debian's chromium (apt-get install chromium); make test does that when run as root.`);
}

export async function setup(config: Parameters<typeof startServer>[0] = {}): Promise<{ url: string; browser: Browser; stop(): Promise<void> }> {
  await buildClient();
  const server = await startServer(config);
  const browser = await launchBrowser();
  return {
    url: server.url,
    browser,
    async stop() {
      await browser.close().catch(() => undefined);
      await server.stop();
    },
  };
}

let n = 0;
export function uname(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${(n++).toString(36)}`.slice(0, 32);
}

export interface Person {
  ctx: BrowserContext;
  page: Page;
  username: string;
  errors: string[];
}

export async function newPerson(
  browser: Browser,
  url: string,
  opts: { prefix?: string; displayName?: string; scheme?: "light" | "dark"; viewport?: { width: number; height: number } } = {},
): Promise<Person> {
  const ctx = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, colorScheme: opts.scheme ?? "light" });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const username = uname(opts.prefix ?? "user");
  await page.goto(url);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Username").fill(username);
  if (opts.displayName) await page.getByLabel("Display name").fill(opts.displayName);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("navigation", { name: "Conversations" }).waitFor();
  return { ctx, page, username, errors };
}

export async function createRoom(page: Page, name: string, topic = "", kind: "public" | "private" = "public"): Promise<void> {
  await page.getByRole("button", { name: "Create a room" }).first().click();
  await page.getByLabel("Name").fill(name);
  if (topic) await page.getByLabel("Topic").fill(topic);
  if (kind === "private") await page.getByText("Invite only").click();
  await page.getByRole("button", { name: "Create room" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

export async function joinRoom(page: Page, name: string): Promise<void> {
  await page.getByRole("button", { name: "Browse public rooms" }).click();
  await page.getByRole("dialog").getByRole("listitem").filter({ hasText: name }).getByRole("button", { name: "Join" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

export function composer(page: Page) {
  return page.getByRole("textbox", { name: /^Message / });
}

export async function say(page: Page, text: string): Promise<void> {
  const box = composer(page);
  await box.fill(text);
  await box.press("Enter");
}

/** Wait until a delivered (not pending) message with this text is in the list. */
export async function seeMessage(page: Page, text: string, timeout = 10_000): Promise<void> {
  await page.locator("article.msg[data-seq] .body", { hasText: text }).first().waitFor({ timeout });
}

/** docs/screenshots/ with PARLEY_SCREENSHOTS=1 (`make screenshots`); a temp dir otherwise, so `make test` leaves the tree clean. */
export const SHOTS = process.env.PARLEY_SCREENSHOTS === "1"
  ? new URL("../../docs/screenshots/", import.meta.url).pathname
  : mkdtempSync(join(tmpdir(), "parley-shots-")) + "/";

/** A PNG drawn in the page (a soft "mockup" picture, or incompressible noise for big files). */
export async function makePng(page: Page, w: number, h: number, noise = false): Promise<Buffer> {
  const b64 = await page.evaluate(
    ([w, h, noise]) => {
      const c = document.createElement("canvas");
      c.width = w;
      c.height = h;
      const g = c.getContext("2d")!;
      if (noise) {
        const img = g.createImageData(w, h);
        for (let i = 0; i < img.data.length; i++) img.data[i] = (Math.random() * 256) | 0;
        g.putImageData(img, 0, 0);
      } else {
        const grad = g.createLinearGradient(0, 0, w, h);
        grad.addColorStop(0, "#7c7cf0");
        grad.addColorStop(1, "#f0a07c");
        g.fillStyle = grad;
        g.fillRect(0, 0, w, h);
        g.fillStyle = "rgba(255,255,255,.9)";
        g.beginPath();
        g.roundRect(w * 0.1, h * 0.18, w * 0.8, h * 0.64, 14);
        g.fill();
        g.fillStyle = "#5b5bd6";
        g.fillRect(w * 0.16, h * 0.28, w * 0.32, h * 0.08);
        g.fillStyle = "#d3d3de";
        for (let i = 0; i < 3; i++) g.fillRect(w * 0.16, h * (0.44 + i * 0.1), w * (0.6 - i * 0.12), h * 0.05);
      }
      return c.toDataURL("image/png").split(",")[1];
    },
    [w, h, noise] as const,
  );
  return Buffer.from(b64, "base64");
}

/** Put files in the composer's hidden file input (as the paperclip button would). */
export async function attach(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  await page.locator(".composer input[type=file]").setInputFiles(files);
}

/** The page believes its tab is hidden and records desktop notifications in window.__notes (headless has none). */
export async function hiddenTabWithNotifications(ctx: BrowserContext): Promise<void> {
  await ctx.addInitScript(() => {
    Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
    const w = window as unknown as { __notes: string[]; Notification: unknown };
    w.__notes = [];
    w.Notification = class {
      static permission = "granted";
      static requestPermission = async () => "granted";
      onclick: unknown = null;
      constructor(title: string, opts: { body: string }) {
        w.__notes.push(`${title}: ${opts.body}`);
      }
      close() {}
    };
  });
}

/**
 * A barrier for checks that something did NOT happen (no duplicate, no stray event): `from` posts a
 * unique marker in its open room and we wait until every page in `to` shows it delivered. A room's
 * events reach each socket in seq order, and a page sends its frames in order, so by then each page
 * in `to` has received everything the server accepted in that room before the marker — including
 * anything `from` sent before it. `to` must not contain `from`: its own copy is settled by the ack,
 * which gives no such ordering.
 */
export async function barrier(from: Page, to: Page[]): Promise<void> {
  const marker = uname("barrier-");
  await say(from, marker);
  for (const p of to) await seeMessage(p, marker);
}
