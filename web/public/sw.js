// Parley service worker: the app shell offline, the share target, Web Push notifications and opening the right room from one.
// The build replaces the BUILD line with the files it produced (web/src/features/pwa/vite-plugin.ts); with an empty list
// (the dev server) the worker leaves every request to the network.
const BUILD = { version: "dev", files: [] };
const SHELL = "parley-shell-" + BUILD.version;
const SHARE = "parley-share";
const SHARE_FILES_MAX = 20;
/** Served by the server itself, never from the shell: the API, the socket, probes and metrics. */
const SERVER_ONLY = /^\/(api\/|ws$|healthz$|readyz$|metrics$)/;

self.addEventListener("install", (e) => {
  // A new release waits (the page offers "reload to update") so a page never mixes old and new files.
  e.waitUntil(BUILD.files.length ? caches.open(SHELL).then((c) => c.addAll(BUILD.files.map((f) => new Request(f, { cache: "reload" })))) : undefined);
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("parley-shell-") && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (e) => {
  if (e.data && e.data.type === "parley-update") self.skipWaiting();
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/share" && req.method === "POST") return e.respondWith(receiveShare(req));
  // The API, uploads and the socket always go to the network; nothing of them is ever cached.
  if (req.method !== "GET" || SERVER_ONLY.test(url.pathname) || !BUILD.files.length) return;
  if (BUILD.files.includes(url.pathname)) return e.respondWith(fromShell(url.pathname, req));
  // Any other page of the app is the single-page shell.
  if (req.mode === "navigate" && url.pathname !== "/sw.js") return e.respondWith(fromShell("/index.html", req));
});

async function fromShell(path, req) {
  const hit = await caches.match(path, { cacheName: SHELL });
  return hit || fetch(req);
}

/** Web Share Target: keep what was shared in Cache Storage (survives this worker stopping), then open the page on it. */
async function receiveShare(req) {
  const id = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  let form;
  try {
    form = await req.formData();
  } catch {
    return Response.redirect("/?share=invalid", 303);
  }
  const str = (v) => (typeof v === "string" ? v.slice(0, 20000) : "");
  const meta = { title: str(form.get("title")), text: str(form.get("text")), url: str(form.get("url")), files: [] };
  const cache = await caches.open(SHARE);
  const files = form.getAll("files").filter((f) => typeof f !== "string" && f.size > 0).slice(0, SHARE_FILES_MAX);
  for (const [i, f] of files.entries()) {
    await cache.put(`/share/${id}/${i}`, new Response(f, { headers: { "content-type": f.type || "application/octet-stream" } }));
    meta.files.push({ name: f.name, type: f.type });
  }
  await cache.put(`/share/${id}`, new Response(JSON.stringify(meta), { headers: { "content-type": "application/json" } }));
  return Response.redirect(`/?share=${id}`, 303);
}

self.addEventListener("push", (e) => {
  let data = {};
  try {
    data = e.data ? e.data.json() : {};
  } catch {
    data = { title: "Parley", body: e.data ? e.data.text() : "" };
  }
  const title = String(data.title || "Parley");
  const body = String(data.body || "").slice(0, 180);
  const room = typeof data.room === "string" ? data.room : "";
  const seq = Number.isInteger(data.seq) && data.seq > 0 ? data.seq : 0;
  e.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((wins) => {
      // A visible tab already shows the message live.
      if (wins.some((w) => w.visibilityState === "visible")) return;
      return self.registration.showNotification(title, {
        body,
        icon: "/icons/icon-192.png",
        tag: room ? `${room}:${seq || ""}` : undefined,
        data: { room, seq },
      });
    }),
  );
});

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  e.waitUntil(openRoom(e.notification.data || {}));
});

/** Show a room at a message: in an open Parley window (focused), or a new one. */
async function openRoom(data) {
  const room = typeof data.room === "string" ? data.room : "";
  const seq = Number.isInteger(data.seq) && data.seq > 0 ? data.seq : 0;
  const wins = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const win = wins.find((w) => w.focused) || wins.find((w) => w.visibilityState === "visible") || wins[0];
  if (win) {
    win.postMessage({ type: "parley-open", room, seq });
    return win.focus().catch(() => win);
  }
  return self.clients.openWindow(room ? `/r/${encodeURIComponent(room)}${seq ? `?at=${seq}` : ""}` : "/");
}
