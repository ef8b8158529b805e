// Web Push: register /sw.js, subscribe with the server's VAPID key and hand the subscription to the server. Only ever started from a button.
import { createSignal } from "solid-js";
import { api } from "../lib/api";
import { describeError } from "../lib/errors";
import { askPermission } from "./notify";

export type PushState = "unsupported" | "off" | "working" | "on" | "denied" | "error";
const supported = typeof window !== "undefined" && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
const [pushState, setPushState] = createSignal<PushState>(supported ? (Notification.permission === "denied" ? "denied" : "off") : "unsupported");
const [pushError, setPushError] = createSignal("");
export { pushState, pushError };

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (b64url.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)) as Uint8Array<ArrayBuffer>;
}

async function registration(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  return navigator.serviceWorker.ready;
}

/** On load: if permission was granted earlier and a subscription exists, show "on" (never prompts). */
export async function checkPush(): Promise<void> {
  if (!supported || Notification.permission !== "granted") return;
  try {
    const reg = await navigator.serviceWorker.getRegistration("/");
    const sub = await reg?.pushManager.getSubscription();
    if (sub) {
      setPushState("on");
      await api.pushSubscribe(sub.toJSON()).catch(() => undefined);
    }
  } catch {
    /* stays off */
  }
}

export async function enablePush(): Promise<void> {
  if (!supported) return;
  setPushState("working");
  setPushError("");
  try {
    const perm = await askPermission();
    if (perm !== "granted") {
      setPushState(perm === "denied" ? "denied" : "off");
      return;
    }
    const reg = await registration();
    const { publicKey } = await api.pushKey();
    const sub =
      (await reg.pushManager.getSubscription()) ??
      (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }));
    await api.pushSubscribe(sub.toJSON());
    setPushState("on");
  } catch (e) {
    setPushState("error");
    setPushError(e instanceof Error && !("status" in e) ? e.message : describeError(e));
  }
}

export async function disablePush(): Promise<void> {
  if (!supported) return;
  try {
    const reg = await navigator.serviceWorker.getRegistration("/");
    const sub = await reg?.pushManager.getSubscription();
    if (sub) {
      await api.pushUnsubscribe(sub.endpoint).catch(() => undefined);
      await sub.unsubscribe();
    }
  } finally {
    setPushState("off");
  }
}
