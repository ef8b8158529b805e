// Link previews in Chromium: a message with a link gets a card (title, description, site name, stored image) for both
// people, from a page this test serves on loopback (the server runs with --previews on --previews-allow-private). Saves the screenshots.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { createRoom, joinRoom, makePng, newPerson, requireBrowser, say, seeMessage, setup, SHOTS, type Person } from "./helpers";

await requireBrowser(import.meta.path);

let env: Awaited<ReturnType<typeof setup>>;
let site: ReturnType<typeof Bun.serve>;
let png: Buffer | undefined;
let ann: Person;
let ben: Person;

beforeAll(async () => {
  env = await setup({ config: { previews: "on", previewsAllowPrivate: true } });
  site = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/cover.png") return png ? new Response(new Uint8Array(png), { headers: { "content-type": "image/png" } }) : new Response("", { status: 404 });
      return new Response(
        `<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="Trail guide: the north ridge loop">
<meta property="og:description" content="Eleven kilometres, 600 m of climbing, water at the hut. Start early in summer.">
<meta property="og:site_name" content="Hiking Notes">
<meta property="og:image" content="/cover.png"></head><body>Guide</body></html>`,
        { headers: { "content-type": "text/html; charset=utf-8" } },
      );
    },
  });
}, 60_000);
afterAll(async () => {
  site?.stop(true);
  await env?.stop();
});

test("PREVIEW-W1 a link gets a preview card with title, description, site name and image, for both people", async () => {
  ann = await newPerson(env.browser, env.url, { prefix: "ann", displayName: "Ann Archer" });
  ben = await newPerson(env.browser, env.url, { prefix: "ben", displayName: "Ben Baker" });
  png = await makePng(ann.page, 240, 160);
  await createRoom(ann.page, "hikes", "Weekend trips");
  await joinRoom(ben.page, "hikes");
  const link = `http://127.0.0.1:${site.port}/guides/north-ridge`;
  await say(ann.page, `Route for Saturday: ${link}`);
  await seeMessage(ben.page, "Route for Saturday");
  for (const p of [ann, ben]) {
    const card = p.page.locator("article.msg", { hasText: "Route for Saturday" }).getByRole("link", { name: "Link preview: Trail guide: the north ridge loop" });
    await card.waitFor();
    expect(await card.getAttribute("href")).toBe(link);
    expect(await card.locator(".pv-site").textContent()).toBe("Hiking Notes");
    await card.getByText("Eleven kilometres").waitFor();
    const img = card.locator("img.pv-img");
    await img.waitFor();
    await p.page.waitForFunction((el) => (el as HTMLImageElement).naturalWidth === 240, await img.elementHandle());
  }
  // After a reload the card comes from history.
  await ben.page.reload();
  await ben.page.locator("article.msg", { hasText: "Route for Saturday" }).locator(".preview-card").waitFor();
  expect([...ann.errors, ...ben.errors]).toEqual([]);
}, 60_000);

test("PREVIEW-W2 screenshots: a preview card in light, dark and on a phone", async () => {
  mkdirSync(SHOTS, { recursive: true });
  await ben.page.locator(".preview-card img.pv-img").waitFor();
  await ben.page.mouse.move(0, 0);
  await ben.page.screenshot({ path: SHOTS + "preview-light.png" });
  await ben.page.emulateMedia({ colorScheme: "dark" });
  await ben.page.screenshot({ path: SHOTS + "preview-dark.png" });
  await ben.page.setViewportSize({ width: 390, height: 844 });
  await ben.page.locator(".preview-card").waitFor();
  await ben.page.screenshot({ path: SHOTS + "preview-phone.png" });
}, 60_000);
