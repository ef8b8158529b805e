// Parley as an installed app, in Chromium: installable (DevTools' own check), opens offline from the precached shell and
// reconnects, unread on the icon and in the title, the share target, and notification clicks opening the room at the message.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chromium, type Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import { api, Client, createRoom as apiCreateRoom, register, spawnServer, tempDir, type Session } from "../../server/test/harness";
import { BROWSER_ARGS, CHROMIUM, composer, createRoom, joinRoom, launchBrowser, newPerson, requireBrowser, seeMessage, setup, SHOTS } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;

beforeAll(async () => {
  env = await setup();
}, 60_000);
afterAll(async () => {
  await env?.stop();
}, 60_000);

/** The service worker controls the page, so it has the shell precached (a worker activates only after its install did). */
async function controlled(page: Page): Promise<void> {
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 20_000, polling: 100 });
  expect(await page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith("parley-shell-")))).toBe(true);
}

/** Post messages as `s` over a real socket; returns their seqs. */
async function post(wsUrl: string, s: Session, room: string, bodies: string[]): Promise<number[]> {
  const c = await Client.connect({ wsUrl }, s);
  const seqs: number[] = [];
  for (const [i, body] of bodies.entries()) {
    const ok = await c.request({ type: "send", room, clientMsgId: `m-${Date.now()}-${i}`, body });
    expect(ok.type).toBe("ok");
    seqs.push(ok.event.seq);
  }
  c.close();
  return seqs;
}

const wsOf = (url: string) => url.replace("http", "ws") + "/ws";

test("PWA-1 installable: Chromium reports no installability errors; manifest, icons and worker are served as they should be", async () => {
  // A profile on disk: Chromium never offers to install from an incognito-like context.
  const ctx = await chromium.launchPersistentContext(tempDir("parley-profile-"), { executablePath: CHROMIUM, args: BROWSER_ARGS });
  const page = await ctx.newPage();
  await page.goto(env.url);
  await controlled(page);
  const cdp = await ctx.newCDPSession(page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  expect(installabilityErrors).toEqual([]);
  const app = await cdp.send("Page.getAppManifest");
  expect(app.url).toBe(env.url + "/manifest.webmanifest");
  expect(app.errors).toEqual([]);

  const m = await fetch(env.url + "/manifest.webmanifest");
  expect(m.headers.get("content-type")).toStartWith("application/manifest+json");
  const manifest = (await m.json()) as { icons: { src: string; sizes: string }[] };
  for (const icon of [...manifest.icons, { src: "/icons/apple-touch-icon.png", sizes: "180x180" }]) {
    const r = await fetch(env.url + icon.src);
    expect(r.headers.get("content-type")).toBe("image/png");
    const png = new DataView(await r.arrayBuffer());
    expect(`${png.getUint32(16)}x${png.getUint32(20)}`).toBe(icon.sizes); // IHDR width x height
  }
  expect((await fetch(env.url + "/favicon.ico")).headers.get("content-type")).toBe("image/x-icon");
  const sw = await fetch(env.url + "/sw.js");
  expect(sw.headers.get("cache-control")).toBe("no-cache");
  expect(sw.headers.get("content-type")).toStartWith("text/javascript");
  const src = await sw.text();
  expect(src).toMatch(/const BUILD = \{"version":"[0-9a-f]{16}","files":\[.*"\/index\.html".*\]\};/);
  // The listed assets are the ones this index.html loads: the build's own hashed files.
  const html = await (await fetch(env.url + "/")).text();
  for (const asset of html.match(/\/assets\/[^"]+/g) ?? []) expect(src).toContain(`"${asset}"`);
  await ctx.close();
}, 60_000);

test("PWA-2 offline: after a first visit the app opens with the server stopped and says so; when it is back it reconnects and resumes", async () => {
  const data = tempDir();
  const MAIN = new URL("../../server/main.ts", import.meta.url).pathname;
  const args = (port: string) => [process.execPath, MAIN, "--host", "127.0.0.1", "--port", port, "--data", data, "--hash-memory", "4096", "--hash-time", "1", "--registration", "open"];
  let srv = await spawnServer(args("0"));
  const browser = await launchBrowser();
  try {
    const bob = await register(srv.url);
    const room = await apiCreateRoom(srv.url, bob, "public", "field");
    const alice = await newPerson(browser, srv.url, { prefix: "alice" });
    await joinRoom(alice.page, "field");
    await post(wsOf(srv.url), bob, room, ["before the outage"]);
    await seeMessage(alice.page, "before the outage");
    await controlled(alice.page);
    // The worker leaves the server's own answers alone: nothing from /api is cached, and probes are not the shell.
    const cached = await alice.page.evaluate(async () => {
      const out: string[] = [];
      for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) out.push(new URL(r.url).pathname);
      return out;
    });
    expect(cached).toContain("/index.html");
    expect(cached.filter((p) => p.startsWith("/api/") || p === "/ws")).toEqual([]);
    const probe = await alice.ctx.newPage();
    await probe.goto(srv.url + "/healthz");
    expect(await probe.textContent("body")).toContain('"status":"ok"');
    await probe.close();

    // No network at all: a new window still opens the app and says it is offline.
    await alice.ctx.setOffline(true);
    const extra = await alice.ctx.newPage();
    await extra.goto(srv.url + "/r/" + room);
    await extra.getByRole("status").filter({ hasText: "You're offline" }).waitFor();
    await extra.close();
    await alice.ctx.setOffline(false);

    const port = new URL(srv.url).port;
    srv.proc.kill("SIGKILL");
    await srv.proc.exited;
    await alice.page.reload();
    await alice.page.getByRole("navigation", { name: "Conversations" }).waitFor();
    await alice.page.getByRole("status").filter({ hasText: /Reconnecting/ }).first().waitFor();
    expect(alice.page.url()).toBe(`${srv.url}/r/${room}`);
    await alice.page.getByText("Not connected: this conversation shows once Parley reaches the server.").waitFor();

    srv = await spawnServer(args(port));
    await post(wsOf(srv.url), bob, room, ["after the restart"]);
    await seeMessage(alice.page, "after the restart", 30_000);
    await seeMessage(alice.page, "before the outage");
    await alice.page.getByRole("status").filter({ hasText: /Reconnecting|offline/ }).waitFor({ state: "detached" });
    const bodies = (await alice.page.locator("article.msg[data-seq] .body").allInnerTexts()).map((t) => t.trim());
    expect(bodies).toEqual(["before the outage", "after the restart"]);
    expect(alice.errors).toEqual([]);
  } finally {
    await browser.close().catch(() => undefined);
    srv.proc.kill("SIGKILL");
  }
}, 120_000);

type Spied = { __badges: number[] };

test("PWA-3 the unread total follows on the app badge and in the title, and clears as rooms are read", async () => {
  const bob = await register(env.url);
  const room = await apiCreateRoom(env.url, bob, "public", "badges");
  const alice = await newPerson(env.browser, env.url, { prefix: "alice" });
  // The Badging API, observed: every set/clear is recorded (0 = cleared).
  await alice.ctx.addInitScript(() => {
    const w = window as unknown as Spied;
    w.__badges = [];
    const nav = navigator as unknown as Record<string, unknown>;
    nav.setAppBadge = async (n?: number) => void w.__badges.push(n ?? -1);
    nav.clearAppBadge = async () => void w.__badges.push(0);
  });
  await alice.page.reload();
  await joinRoom(alice.page, "badges");
  await createRoom(alice.page, "quiet");
  const badges = () => alice.page.evaluate(() => (window as unknown as Spied).__badges);
  await post(wsOf(env.url), bob, room, ["one", "two", "three"]);
  await alice.page.getByRole("link", { name: "Room badges, 3 unread" }).waitFor();
  await alice.page.waitForFunction(() => document.title === "(3) Parley");
  await alice.page.waitForFunction(() => (window as unknown as Spied).__badges.at(-1) === 3);
  expect((await badges()).filter((n) => n > 3)).toEqual([]);

  await alice.page.getByRole("link", { name: /^Room badges/ }).click();
  await alice.page.getByRole("heading", { level: 1, name: "badges" }).waitFor();
  await alice.page.waitForFunction(() => document.title === "Parley");
  await alice.page.waitForFunction(() => (window as unknown as Spied).__badges.at(-1) === 0);
  expect(alice.errors).toEqual([]);
  await alice.ctx.close();
}, 60_000);

/** Submit a form to the share target from the page, as the share sheet does (a POST navigation the worker answers). */
async function shareForm(page: Page, enctype: string, fields: Record<string, string>, files: { name: string; type: string; text: string }[] = []): Promise<void> {
  const loaded = page.waitForEvent("load");
  await page.evaluate(
    ([enctype, fields, files]) => {
      const f = document.createElement("form");
      f.method = "post";
      f.action = "/share";
      f.enctype = enctype;
      for (const [k, v] of Object.entries(fields)) {
        const i = document.createElement("input");
        i.name = k;
        i.value = v;
        f.append(i);
      }
      if (files.length) {
        const i = document.createElement("input");
        i.type = "file";
        i.name = "files";
        i.multiple = true;
        const dt = new DataTransfer();
        for (const x of files) dt.items.add(new File([x.text], x.name, { type: x.type }));
        i.files = dt.files;
        f.append(i);
      }
      document.body.append(f);
      f.submit();
    },
    [enctype, fields, files] as const,
  );
  await loaded;
}

test("PWA-4 share target: a multipart POST lands in a room picker, then the composer with the text and the files as attachments", async () => {
  const alice = await newPerson(env.browser, env.url, { prefix: "alice" });
  await createRoom(alice.page, "inbox");
  await createRoom(alice.page, "elsewhere");
  await controlled(alice.page);

  // Malformed (not multipart): the app opens as usual, nothing to pick.
  await shareForm(alice.page, "text/plain", { text: "ignored" });
  await alice.page.waitForURL(env.url + "/");
  await alice.page.getByRole("navigation", { name: "Conversations" }).waitFor();
  expect(await alice.page.getByRole("dialog").count()).toBe(0);

  await shareForm(alice.page, "multipart/form-data", { title: "A page", text: "Look at this", url: "https://example.test/a" }, [
    { name: "note.txt", type: "text/plain", text: "shared file body" },
    { name: "tool.exe", type: "application/x-msdownload", text: "MZ\u0000\u0001\u0002binary" },
  ]);
  const dialog = alice.page.getByRole("dialog", { name: "Share to…" });
  await dialog.waitFor();
  await dialog.getByText("2 files").waitFor();
  await dialog.getByRole("button", { name: "#inbox" }).click();
  await alice.page.getByRole("heading", { level: 1, name: "inbox" }).waitFor();
  expect(await composer(alice.page).inputValue()).toBe("Look at this\nhttps://example.test/a");
  expect(new URL(alice.page.url()).search).toBe("");
  // The usual upload rules: the text file uploads, the executable is refused with the usual message.
  const tray = alice.page.getByRole("list", { name: "Attachments" });
  await tray.getByText("note.txt").waitFor();
  await tray.getByRole("alert").filter({ hasText: /tool\.exe.* can't be shared/ }).waitFor();
  await alice.page.getByRole("button", { name: "Send message" }).and(alice.page.locator(":enabled")).waitFor();
  await composer(alice.page).press("Enter");
  await seeMessage(alice.page, "Look at this");
  await alice.page.locator("article.msg[data-seq]", { hasText: "Look at this" }).getByText("note.txt").waitFor();
  // Nothing shared is left behind in the browser.
  expect(await alice.page.evaluate(() => caches.keys())).not.toContain("parley-share");
  expect(alice.errors).toEqual([]);
  await alice.ctx.close();
}, 60_000);

test("PWA-5 notifications open the room at the message: a Web Push click, a desktop notification click, and a window opened on ?at=", async () => {
  const bob = await register(env.url);
  const carol = await register(env.url);
  const room = await apiCreateRoom(env.url, bob, "public", "history");
  await api(env.url, "POST", `/api/rooms/${room}/join`, {}, carol.accessToken);
  const alice = await newPerson(env.browser, env.url, { prefix: "alice" });
  await joinRoom(alice.page, "history");
  // Two senders, each within the write burst: enough lines that the early ones are out of view.
  const lines = (from: number) => Array.from({ length: 15 }, (_, i) => `line ${from + i}`);
  const seqs = [...(await post(wsOf(env.url), bob, room, lines(1))), ...(await post(wsOf(env.url), carol, room, lines(16)))];
  await createRoom(alice.page, "elsewhere");
  await controlled(alice.page);
  const target = seqs[4]; // "line 5": far above the newest messages

  const landed = async (page: Page, seq: number) => {
    await page.waitForURL(`${env.url}/r/${room}`);
    await page.getByRole("heading", { level: 1, name: "history" }).waitFor();
    await page.locator(`article.msg.flash[data-seq="${seq}"]`).waitFor();
    expect(await page.locator(`article.msg[data-seq="${seq}"]`).isVisible()).toBe(true);
  };

  // Web Push: a real push event (DevTools delivers it) while no Parley window is showing becomes a notification carrying room and seq.
  await alice.ctx.grantPermissions(["notifications"], { origin: env.url });
  const cdp = await alice.ctx.newCDPSession(alice.page);
  const registered = new Promise<string>((resolve) =>
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
      const r = e.registrations.find((x) => x.scopeURL === env.url + "/" && !x.isDeleted);
      if (r) resolve(r.registrationId);
    }),
  );
  await cdp.send("ServiceWorker.enable");
  const registrationId = await registered;
  await alice.page.goto("about:blank");
  const payload = { title: "Bob in #history", body: "line 5", room, seq: target, kind: "mention" };
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: env.url, registrationId, data: JSON.stringify(payload) });
  await alice.page.goto(env.url + "/r/" + room);
  await controlled(alice.page);
  await alice.page.waitForFunction(async () => (await (await navigator.serviceWorker.ready).getNotifications()).length > 0);
  const shown = await alice.page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, data: n.data })));
  expect(shown).toEqual([{ title: "Bob in #history", data: { room, seq: target } }]);
  await createRoom(alice.page, "elsewhere-too");

  // Its click: the worker's notificationclick handler (what runs after the browser's click) focuses this window on the message.
  const sw = alice.ctx.serviceWorkers().find((w) => w.url() === env.url + "/sw.js") ?? (await alice.ctx.waitForEvent("serviceworker"));
  await sw.evaluate((d) => (self as unknown as { openRoom(d: unknown): Promise<unknown> }).openRoom(d), shown[0].data);
  await landed(alice.page, target);

  // A desktop notification shown by the page (tab hidden): its click does the same.
  await createRoom(alice.page, "another");
  await alice.ctx.addInitScript(() => {
    Object.defineProperty(document, "visibilityState", { get: () => "hidden" });
    const w = window as unknown as { __notes: { onclick: (() => void) | null }[]; Notification: unknown };
    w.__notes = [];
    w.Notification = class {
      static permission = "granted";
      static requestPermission = async () => "granted";
      onclick: (() => void) | null = null;
      constructor() {
        w.__notes.push(this);
      }
      close() {}
    };
  });
  await alice.page.reload();
  await alice.page.getByRole("heading", { level: 1, name: "another" }).waitFor();
  const [mention] = await post(wsOf(env.url), bob, room, [`@${alice.username} look here`]);
  await alice.page.waitForFunction(() => (window as unknown as { __notes: unknown[] }).__notes.length > 0);
  await alice.page.evaluate(() => (window as unknown as { __notes: { onclick(): void }[] }).__notes[0].onclick());
  await landed(alice.page, mention);

  // No window open: the worker opens /r/<room>?at=<seq>, which lands on the message too.
  const page = await alice.ctx.newPage();
  await page.goto(`${env.url}/r/${room}?at=${seqs[9]}`);
  await landed(page, seqs[9]);
  expect(alice.errors).toEqual([]);
  await alice.ctx.close();
}, 90_000);

test("PWA-6 screenshots of the installed window at phone size, light and dark", async () => {
  mkdirSync(SHOTS, { recursive: true });
  const maya = await register(env.url);
  await api(env.url, "PATCH", "/api/me", { displayName: "Maya" }, maya.accessToken);
  const room = await apiCreateRoom(env.url, maya, "public", "field-team");
  for (const scheme of ["light", "dark"] as const) {
    const p = await newPerson(env.browser, env.url, { prefix: "sam", displayName: "Sam", scheme, viewport: { width: 390, height: 844 } });
    await joinRoom(p.page, "field-team");
    const last = scheme === "light" ? "Add Parley to your home screen: it opens like an app, even with no signal." : "The icon shows how many messages wait for you.";
    await post(wsOf(env.url), maya, room, [last]);
    await seeMessage(p.page, last);
    await controlled(p.page);
    const cdp = await p.ctx.newCDPSession(p.page);
    await cdp.send("Emulation.setEmulatedMedia", { features: [{ name: "display-mode", value: "standalone" }, { name: "prefers-color-scheme", value: scheme }] });
    await p.page.screenshot({ path: SHOTS + `app-${scheme}.png` });
    await p.ctx.close();
  }
}, 60_000);

test("PWA-7 a new release waits until the user accepts 'Reload to update', then replaces the whole shell and the old cache", async () => {
  // A proxy in front of the server that can start serving "release 2": a new worker and a changed index.html.
  // (HTTP only: the socket cannot connect through it, which this test does not need.)
  let release = 1;
  const proxy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const u = new URL(req.url);
      const res = await fetch(env.url + u.pathname + u.search, { method: req.method, headers: req.headers, body: req.body, redirect: "manual" });
      const shell = u.pathname === "/sw.js" || u.pathname === "/index.html" || res.headers.get("content-type")?.startsWith("text/html");
      if (release === 1 || !shell) return res;
      const text = await res.text();
      const headers = new Headers(res.headers);
      headers.delete("content-length");
      const body = u.pathname === "/sw.js" ? text.replace(/"version":"[0-9a-f]+"/, '"version":"2222222222222222"') : text.replace("<title>", '<meta name="parley-release" content="2" /><title>');
      return new Response(body, { status: res.status, headers });
    },
  });
  const url = `http://127.0.0.1:${proxy.port}`;
  try {
    const alice = await newPerson(env.browser, url, { prefix: "alice" });
    const page = alice.page;
    await controlled(page);
    const releaseOf = () => page.evaluate(() => document.querySelector('meta[name="parley-release"]')?.getAttribute("content") ?? "1");
    const shells = () => page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith("parley-shell-")).sort());
    const [v1] = await shells();
    const other = await alice.ctx.newPage(); // a second window of the same release
    await other.goto(url);
    await controlled(other);

    release = 2;
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
    await page.getByRole("button", { name: "Reload to update" }).waitFor();
    expect(await shells()).toEqual([v1, "parley-shell-2222222222222222"].sort());
    // Not accepted yet: a reload is still the old release, whole (the old worker serves its own cache).
    await page.reload();
    await page.getByRole("navigation", { name: "Conversations" }).waitFor();
    expect(await releaseOf()).toBe("1");

    await page.getByRole("button", { name: "Reload to update" }).click();
    await page.waitForFunction(() => document.querySelector('meta[name="parley-release"]')?.getAttribute("content") === "2");
    await page.getByRole("navigation", { name: "Conversations" }).waitFor();
    expect(await page.getByRole("button", { name: "Reload to update" }).count()).toBe(0);
    await page.waitForFunction(async () => (await caches.keys()).filter((k) => k.startsWith("parley-shell-")).join() === "parley-shell-2222222222222222");
    // The other window was offered the update too; accepting there now just reloads it onto release 2.
    await other.getByRole("button", { name: "Reload to update" }).click();
    await other.waitForFunction(() => document.querySelector('meta[name="parley-release"]')?.getAttribute("content") === "2");
    expect(alice.errors).toEqual([]);
    await alice.ctx.close();
  } finally {
    proxy.stop(true);
  }
}, 60_000);

test("PWA-8 a share made while signed out waits for sign-in; more files than a message takes are cut to the limit with a note", async () => {
  const sam = await register(env.url);
  const room = await apiCreateRoom(env.url, sam, "public", "drop-box");
  const ctx = await env.browser.newContext();
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(env.url);
  await controlled(page);
  const files = Array.from({ length: 12 }, (_, i) => ({ name: `part-${i + 1}.txt`, type: "text/plain", text: `part ${i + 1}` }));
  await shareForm(page, "multipart/form-data", { text: "the whole batch" }, files);
  await page.waitForURL(env.url + "/");
  await page.getByLabel("Username").waitFor();
  expect(await page.getByRole("dialog").count()).toBe(0);

  await page.getByLabel("Username").fill(sam.user.username);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Share to…" });
  await dialog.getByText("12 files").waitFor();
  await dialog.getByRole("button", { name: "#drop-box" }).click();
  await page.waitForURL(`${env.url}/r/${room}`);
  await page.locator(".toast", { hasText: "You can attach up to 10 files to one message." }).waitFor();
  expect(await page.getByRole("list", { name: "Attachments" }).getByRole("listitem").count()).toBe(10);
  expect(await composer(page).inputValue()).toBe("the whole batch");
  expect(errors).toEqual([]);
  await ctx.close();
}, 60_000);
