// Ephemeral room activity: who is typing (expires), read receipts of other members, our own typing throttle.
import { createSignal } from "solid-js";
import { createStore } from "solid-js/store";
import { send } from "../lib/socket";

const [typing, setTyping] = createStore<Record<string, Record<string, number>>>({});
const [receipts, setReceipts] = createStore<Record<string, Record<string, number>>>({});
/** Delivered marks of other members (protocol 1.2): room → user → seq; a read mark implies delivery. */
const [deliveries, setDeliveries] = createStore<Record<string, Record<string, number>>>({});
const [now, setNow] = createSignal(Date.now());
export { typing, receipts, deliveries };

let clockSkew = 0; // serverTime - local time
export function setServerTime(serverTime: number): void {
  clockSkew = serverTime - Date.now();
}

export const serverNow = () => Date.now() + clockSkew;

setInterval(() => setNow(Date.now()), 1000);

export function onTyping(room: string, userId: string, expiresAt: number): void {
  const local = Math.min(expiresAt - clockSkew, Date.now() + 6000);
  setTyping(room, (m) => ({ ...(m ?? {}), [userId]: Math.max(local, Date.now() + 1500) }));
}

export function stopTyping(room: string, userId: string): void {
  if (typing[room]?.[userId]) setTyping(room, userId, 0);
}

export function typers(room: string, exclude?: string): string[] {
  const t = now();
  const m = typing[room] ?? {};
  return Object.keys(m).filter((u) => u !== exclude && m[u] > t);
}

export function onReceipt(room: string, userId: string, seq: number, delivered = 0): void {
  const prev = receipts[room]?.[userId] ?? 0;
  if (seq > prev) setReceipts(room, (m) => ({ ...(m ?? {}), [userId]: seq }));
  const d = Math.max(seq, delivered);
  if (d > (deliveries[room]?.[userId] ?? 0)) setDeliveries(room, (m) => ({ ...(m ?? {}), [userId]: d }));
}

const DELIVERED_EVERY_MS = 1000;
const deliveredSent: Record<string, number> = {};
const deliveredWant: Record<string, number> = {};
const deliveredTimer: Record<string, ReturnType<typeof setTimeout>> = {};

/**
 * Tell the server what reached this client: forward only, at most one frame a second per room
 * (the newest seq wins; a later one inside the second is sent when the second is over).
 */
export function reportDelivered(room: string, seq: number): void {
  if (seq > (deliveredWant[room] ?? 0)) deliveredWant[room] = seq;
  if (deliveredTimer[room] || (deliveredWant[room] ?? 0) <= (deliveredSent[room] ?? 0)) return;
  if (send({ type: "delivered", room, seq: deliveredWant[room] })) deliveredSent[room] = deliveredWant[room];
  deliveredTimer[room] = setTimeout(() => {
    delete deliveredTimer[room];
    reportDelivered(room, 0);
  }, DELIVERED_EVERY_MS);
}

/** Signed out: the next account reports its own marks from scratch. */
export function forgetDelivered(): void {
  for (const k of Object.keys(deliveredTimer)) clearTimeout(deliveredTimer[k]);
  for (const m of [deliveredSent, deliveredWant, deliveredTimer]) for (const k of Object.keys(m)) delete m[k];
}

const lastTypingSent: Record<string, number> = {};
const trailing: Record<string, ReturnType<typeof setTimeout>> = {};
const TYPING_EVERY_MS = 3000;

/**
 * Tell the room we are typing: at most one frame per 3 s per room (the hint lasts 5 s).
 * Input inside the window schedules one trailing frame, sent only if `still()` holds then.
 */
export function sendTyping(room: string, still: () => boolean = () => true): void {
  const t = Date.now();
  const wait = (lastTypingSent[room] ?? 0) + TYPING_EVERY_MS - t;
  if (wait > 0) {
    trailing[room] ??= setTimeout(() => {
      delete trailing[room];
      if (still()) sendTyping(room, still);
    }, wait);
    return;
  }
  if (send({ type: "typing", room })) lastTypingSent[room] = t;
}

/** After sending a message, drop any trailing typing frame. */
export function cancelTyping(room: string): void {
  clearTimeout(trailing[room]);
  delete trailing[room];
}
