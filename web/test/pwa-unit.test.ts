// Pure logic of the installable app: badge text, share text, manifest and icon set, the precache list and its injection into sw.js.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { badgeText, shareText, titleFor } from "../src/features/pwa/text";
import { ICONS, icoFromPng, iconSvg, injectPrecache, manifest, precacheList } from "../src/features/pwa/shell";

const bytes = (s: string) => new TextEncoder().encode(s);

test("PWA-U-1 badge text is capped like the sidebar's and empty at zero", () => {
  expect([0, -3, 1, 7, 99, 100, 12345].map(badgeText)).toEqual(["", "", "1", "7", "99", "99+", "99+"]);
  expect(titleFor(0)).toBe("Parley");
  expect(titleFor(3)).toBe("(3) Parley");
  expect(titleFor(250)).toBe("(99+) Parley");
});

test("PWA-U-2 share text: the text (or the title), then the link unless the text already has it", () => {
  expect(shareText({ title: "A page", text: "", url: "https://x.test/a" })).toBe("A page\nhttps://x.test/a");
  expect(shareText({ title: "A page", text: "look at this", url: "https://x.test/a" })).toBe("look at this\nhttps://x.test/a");
  expect(shareText({ title: "", text: "see https://x.test/a", url: "https://x.test/a" })).toBe("see https://x.test/a");
  expect(shareText({ title: " ", text: " ", url: "" })).toBe("");
});

test("PWA-U-3 precache list: every shipped file but the worker and source maps, sorted, versioned by content", () => {
  const files = [
    { path: "index.html", bytes: bytes("<html>") },
    { path: "sw.js", bytes: bytes("worker") },
    { path: "assets/index-abc.js", bytes: bytes("js") },
    { path: "assets/index-abc.js.map", bytes: bytes("map") },
    { path: "icons/icon-192.png", bytes: bytes("png") },
  ];
  const p = precacheList(files);
  expect(p.files).toEqual(["/assets/index-abc.js", "/icons/icon-192.png", "/index.html"]);
  expect(p.version).toMatch(/^[0-9a-f]{16}$/);
  // Same files in another order: same version. A changed byte or a renamed file: a new one. The worker itself does not count.
  expect(precacheList([...files].reverse()).version).toBe(p.version);
  expect(precacheList(files.map((f) => (f.path === "index.html" ? { ...f, bytes: bytes("<html >") } : f))).version).not.toBe(p.version);
  expect(precacheList(files.map((f) => (f.path === "assets/index-abc.js" ? { ...f, path: "assets/index-abd.js" } : f))).version).not.toBe(p.version);
  expect(precacheList(files.map((f) => (f.path === "sw.js" ? { ...f, bytes: bytes("other") } : f))).version).toBe(p.version);
});

test("PWA-U-4 the precache list is written into sw.js's BUILD line, and a worker without one fails the build", () => {
  const src = readFileSync(new URL("../public/sw.js", import.meta.url), "utf8");
  const out = injectPrecache(src, { version: "0123456789abcdef", files: ["/index.html", "/assets/a$&b.js"] });
  expect(out).toContain('const BUILD = {"version":"0123456789abcdef","files":["/index.html","/assets/a$&b.js"]};');
  expect(out.split("\n").length).toBe(src.split("\n").length);
  expect(() => injectPrecache("self.addEventListener('push', () => {});", { version: "x", files: [] })).toThrow(/BUILD/);
});

test("PWA-U-5 manifest: standalone, scoped to /, icons 192/512/maskable 512 and a multipart share target", () => {
  const m = manifest() as Record<string, any>;
  expect(m).toMatchObject({ name: "Parley", short_name: "Parley", start_url: "/", scope: "/", display: "standalone" });
  expect(m.theme_color).toMatch(/^#[0-9a-f]{6}$/);
  expect(m.background_color).toMatch(/^#[0-9a-f]{6}$/);
  expect(m.icons.map((i: any) => `${i.sizes} ${i.purpose}`)).toEqual(["192x192 any", "512x512 any", "512x512 maskable"]);
  expect(m.share_target).toMatchObject({ action: "/share", method: "POST", enctype: "multipart/form-data", params: { title: "title", text: "text", url: "url" } });
  expect(m.share_target.params.files[0].accept).toContain("image/png");
  expect(ICONS.find((i) => i.purpose === "apple")?.size).toBe(180);
});

test("PWA-U-6 icon sources: 'any' is the source itself; maskable puts it in the 80 % safe zone on a full-bleed square", () => {
  const src = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64"/></svg>';
  expect(iconSvg(src, ICONS[0])).toBe(src);
  const mask = iconSvg(src, ICONS.find((i) => i.purpose === "maskable")!);
  expect(mask).toContain('<rect width="100" height="100"');
  expect(mask).toContain('<svg x="10%" y="10%" width="80%" height="80%" xmlns=');
  const ico = icoFromPng(bytes("PNGDATA"), 32);
  expect([...ico.slice(0, 8)]).toEqual([0, 0, 1, 0, 1, 0, 32, 32]);
  expect(new DataView(ico.buffer).getUint32(18, true)).toBe(22);
  expect(new TextDecoder().decode(ico.slice(22))).toBe("PNGDATA");
});
