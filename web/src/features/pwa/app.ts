// The installed app: registers the service worker on every load (offline shell), offers "reload to update" when a new
// release is waiting, and opens rooms the worker asks for (notification clicks) or the URL names (?at=<seq>).
import { createSignal } from "solid-js";
import { navigate, openMessage } from "../../state/route";

const supported = typeof navigator !== "undefined" && "serviceWorker" in navigator;
const [waiting, setWaiting] = createSignal<ServiceWorker | null>(null);
export { waiting as updateWaiting };

let registration: ServiceWorkerRegistration | undefined;

/** A worker that finished installing while another controls this page is a new release. */
function watch(w: ServiceWorker | null | undefined): void {
  if (!w) return;
  const check = () => {
    if (w.state === "installed" && navigator.serviceWorker.controller) setWaiting(w);
  };
  check();
  w.addEventListener("statechange", check);
}

export async function registerApp(): Promise<void> {
  if (!supported) return;
  try {
    const reg = (registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" }));
    watch(reg.waiting);
    watch(reg.installing);
    reg.addEventListener("updatefound", () => watch(reg.installing));
  } catch {
    /* no offline shell: the app still works online */
  }
}

/** Look for a new release now (the app came back to the foreground); browsers also check on navigations. */
export function checkForUpdate(): void {
  void registration?.update().catch(() => undefined);
}

/** The user accepted the update: the waiting worker takes over and the page reloads onto the new shell. */
export function applyUpdate(): void {
  const w = waiting();
  if (!w) return;
  // Accepted in another window already: this one only needs to reload onto it.
  if (w.state === "activating" || w.state === "activated") return location.reload();
  navigator.serviceWorker.addEventListener("controllerchange", () => location.reload(), { once: true });
  w.postMessage({ type: "parley-update" });
}

function open(room: string, seq: number): void {
  if (seq > 0) openMessage(room, seq);
  else navigate(room);
}

/** Notification clicks: the worker posts {type: "parley-open", room, seq} to the window it focuses. */
export function listenForOpen(): void {
  if (supported) {
    navigator.serviceWorker.addEventListener("message", (e) => {
      const d = e.data as { type?: string; room?: unknown; seq?: unknown } | null;
      if (d?.type === "parley-open" && typeof d.room === "string" && d.room) open(d.room, Number.isInteger(d.seq) ? (d.seq as number) : 0);
    });
  }
  // A window opened on /r/<room>?at=<seq>: jump to that message.
  const at = Number(new URLSearchParams(location.search).get("at"));
  const room = /^\/r\/([^/]+)\/?$/.exec(location.pathname);
  if (room && Number.isInteger(at) && at > 0) {
    history.replaceState(null, "", location.pathname);
    open(decodeURIComponent(room[1]), at);
  }
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && checkForUpdate());
}
