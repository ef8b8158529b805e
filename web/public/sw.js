// Parley service worker: shows Web Push notifications ({title, body, room, seq, kind}) and opens the room when one is clicked.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

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
  e.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((wins) => {
      // A visible tab already shows the message live.
      if (wins.some((w) => w.visibilityState === "visible")) return;
      return self.registration.showNotification(title, {
        body,
        icon: "/favicon.svg",
        tag: room ? `${room}:${data.seq ?? ""}` : undefined,
        data: { room },
      });
    }),
  );
});

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const room = e.notification.data && e.notification.data.room;
  const url = room ? `/r/${encodeURIComponent(room)}` : "/";
  e.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((wins) => {
      for (const w of wins) {
        if ("focus" in w) {
          w.postMessage({ type: "parley-open", room });
          return w.focus();
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
