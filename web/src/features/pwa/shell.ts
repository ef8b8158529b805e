// Pure build-time facts about the installable app: the manifest, the icon set and the service worker's precache list.
// Used by the vite plugin (vite-plugin.ts) and unit-tested in web/test/pwa-unit.test.ts; nothing here runs in the browser.
import { createHash } from "node:crypto";

export const COLORS = {
  accent: "#5b5bd6",
  light: { theme: "#f7f7fb", background: "#ffffff" },
  dark: { theme: "#14151a", background: "#17181d" },
} as const;

/** Icons rendered from the one source image (web/public/favicon.svg). `maskable` ones are full-bleed with the glyph in the 80 % safe zone. */
export const ICONS = [
  { file: "icons/icon-192.png", size: 192, purpose: "any" },
  { file: "icons/icon-512.png", size: 512, purpose: "any" },
  { file: "icons/maskable-512.png", size: 512, purpose: "maskable" },
  { file: "icons/apple-touch-icon.png", size: 180, purpose: "apple" },
  { file: "icons/favicon-32.png", size: 32, purpose: "any" },
] as const;

export type Icon = (typeof ICONS)[number];

/** Fields named in the share target (the service worker reads the same names). */
export const SHARE_PARAMS = { title: "title", text: "text", url: "url", files: "files" } as const;
/** What the share sheet may hand us: the upload types the server accepts. */
export const SHARE_ACCEPT = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "application/zip", "text/plain", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".zip", ".txt"];

export function manifest(): Record<string, unknown> {
  return {
    id: "/",
    name: "Parley",
    short_name: "Parley",
    description: "Team chat: rooms, direct messages and files.",
    start_url: "/",
    scope: "/",
    display: "standalone",
    orientation: "any",
    theme_color: COLORS.light.theme,
    background_color: COLORS.light.background,
    // Dark-scheme colours (a manifest proposal; browsers that do not know it use the light ones and the page's media-specific theme-color).
    user_preferences: { color_scheme_dark: { theme_color: COLORS.dark.theme, background_color: COLORS.dark.background } },
    icons: ICONS.filter((i) => i.purpose !== "apple" && i.size >= 192).map((i) => ({ src: "/" + i.file, sizes: `${i.size}x${i.size}`, type: "image/png", purpose: i.purpose })),
    share_target: {
      action: "/share",
      method: "POST",
      enctype: "multipart/form-data",
      params: { title: SHARE_PARAMS.title, text: SHARE_PARAMS.text, url: SHARE_PARAMS.url, files: [{ name: SHARE_PARAMS.files, accept: SHARE_ACCEPT }] },
    },
  };
}

/** The SVG to rasterize for an icon: the source as is, or on a full-bleed accent square (maskable / apple) with the glyph scaled into the safe zone. */
export function iconSvg(source: string, icon: Icon): string {
  if (icon.purpose === "any") return source;
  const size = icon.purpose === "maskable" ? 80 : 100; // per cent of the square
  const off = (100 - size) / 2;
  const inner = source.replace(/<svg\b/, `<svg x="${off}%" y="${off}%" width="${size}%" height="${size}%"`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="${COLORS.accent}"/>${inner}</svg>`;
}

/** A .ico holding one PNG (every current browser reads PNG-in-ICO). */
export function icoFromPng(png: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(22 + png.length);
  const v = new DataView(out.buffer);
  v.setUint16(2, 1, true); // type: icon
  v.setUint16(4, 1, true); // one image
  out[6] = size >= 256 ? 0 : size;
  out[7] = size >= 256 ? 0 : size;
  v.setUint16(10, 1, true); // colour planes
  v.setUint16(12, 32, true); // bits per pixel
  v.setUint32(14, png.length, true);
  v.setUint32(18, 22, true); // offset of the image data
  out.set(png, 22);
  return out;
}

export interface Precache {
  /** Hash of every precached file's name and bytes: names the cache, so a new build gets a new one. */
  version: string;
  /** URL paths the service worker stores on install; "/index.html" is the shell every navigation gets. */
  files: string[];
}

/** Files never precached: the worker itself (the browser fetches it fresh), source maps, and anything that is not part of the shell. */
export function precachable(path: string): boolean {
  return path !== "sw.js" && !path.endsWith(".map") && !path.startsWith(".");
}

/** The precache list of a build output: every shipped file (relative paths with "/"), sorted, with a content hash. */
export function precacheList(files: { path: string; bytes: Uint8Array }[]): Precache {
  const kept = files.filter((f) => precachable(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const h = createHash("sha256");
  for (const f of kept) {
    h.update(f.path + "\0");
    h.update(f.bytes);
    h.update("\0");
  }
  return { version: h.digest("hex").slice(0, 16), files: kept.map((f) => "/" + f.path) };
}

const PLACEHOLDER = /const BUILD = \{[^\n]*\};/;

/** Write the precache list into the service worker's source (its `const BUILD = …;` line). */
export function injectPrecache(sw: string, p: Precache): string {
  if (!PLACEHOLDER.test(sw)) throw new Error("sw.js has no `const BUILD = {...};` line to fill in");
  return sw.replace(PLACEHOLDER, () => `const BUILD = ${JSON.stringify(p)};`);
}
