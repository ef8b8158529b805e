// Serves the web client: from files embedded in the compiled binary, or web/dist when running from source.

import { Elysia } from "elysia";
import { existsSync } from "node:fs";
import { join, normalize } from "node:path";
import type { Context } from "../../context";
import { AppError } from "../../errors";

/**
 * Scripts only from our origin; no inline script can run even if markup got through. `connect-src
 * 'self'` also covers the WebSocket to the page's own host (CSP Level 3: 'self' matches ws: and wss:
 * of the same host; Chromium does, the browser tests connect under this policy), so injected markup
 * cannot open a socket to anyone else's host.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const DIST = join(import.meta.dir, "../../../web/dist");

function embedded(): Map<string, Blob> {
  const m = new Map<string, Blob>();
  for (const f of Bun.embeddedFiles as (Blob & { name: string })[]) {
    const i = f.name.indexOf("web/dist/");
    if (i >= 0) m.set("/" + f.name.slice(i + "web/dist/".length), f);
  }
  return m;
}

export function webRoutes(_ctx: Context) {
  const files = embedded();
  const fromDisk = files.size === 0 && existsSync(DIST);

  async function asset(path: string): Promise<Blob | undefined> {
    if (files.size > 0) return files.get(path);
    if (!fromDisk) return undefined;
    const p = normalize(join(DIST, path));
    if (!p.startsWith(DIST)) return undefined;
    // A path the file system cannot take (Bun.file throws ENAMETOOLONG past 4 KiB) is no asset: the SPA fallback answers.
    try {
      const f = Bun.file(p);
      return (await f.exists()) ? f : undefined;
    } catch {
      return undefined;
    }
  }

  const headers = (path: string, type: string) => ({
    "content-type": type || "application/octet-stream",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
  });

  return new Elysia({ name: "web-routes" })
    // The share target (manifest) is answered by the service worker; should none be installed (site data cleared),
    // open the app instead of an error. The body is never read.
    .post("/share", () => new Response(null, { status: 303, headers: { location: "/", "cache-control": "no-store" } }), { parse: "none" })
    .get("/*", async ({ request }) => {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/api/") || path === "/ws") throw new AppError("not_found", "no such endpoint"); // the one error envelope (and its metric)
    // Unknown paths are client routes: they get index.html (SPA fallback). One lookup each.
    const file = path !== "/" ? await asset(path) : undefined;
    const servedPath = file ? path : "/index.html";
    const f = file ?? (await asset("/index.html"));
    if (!f) return new Response("Parley is running; the web client is not built (run `make web`).", { headers: headers(path, "text/plain; charset=utf-8") });
    return new Response(f, { headers: headers(servedPath, f.type) });
  });
}
