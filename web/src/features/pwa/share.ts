// Web Share Target, page side: the service worker keeps a share in Cache Storage and opens "/?share=<id>";
// we read it back, ask which room, and prefill that room's composer (text) and upload tray (files).
import { createSignal } from "solid-js";
import { shareText } from "./text";

export interface SharedMeta {
  title: string;
  text: string;
  url: string;
  files: { name: string; type: string }[];
}
export interface Shared {
  text: string;
  files: File[];
}

const CACHE = "parley-share";

const [incoming, setIncoming] = createSignal<Shared | null>(null);
export { incoming };
export const dismissShare = () => setIncoming(null);

/** Text waiting for a room's composer (the composer takes it when it shows that room). */
const [prefill, setPrefill] = createSignal<{ room: string; text: string } | null>(null);
export function takePrefill(room: string): string | undefined {
  const p = prefill();
  if (!p || p.room !== room) return undefined;
  setPrefill(null);
  return p.text;
}

/** Hand the share to a room: its composer gets the text, `attach` stages the files (with the usual limits). */
export function shareInto(room: string, attach: (room: string, files: File[]) => void): void {
  const s = incoming();
  if (!s) return;
  setIncoming(null);
  if (s.text) setPrefill({ room, text: s.text });
  if (s.files.length) attach(room, s.files);
}

/** On load: pick up a share the service worker stored, then forget every stored share. */
export async function receiveShare(): Promise<void> {
  const id = new URLSearchParams(location.search).get("share");
  if (id === null) return;
  history.replaceState(null, "", location.pathname);
  if (!("caches" in window) || !/^[a-z0-9]{1,40}$/.test(id)) return;
  try {
    const cache = await caches.open(CACHE);
    const res = await cache.match(`/share/${id}`);
    if (!res) return;
    const meta = (await res.json()) as SharedMeta;
    const files: File[] = [];
    for (const [i, f] of meta.files.entries()) {
      const r = await cache.match(`/share/${id}/${i}`);
      if (r) files.push(new File([await r.blob()], f.name || "shared-file", { type: f.type }));
    }
    setIncoming({ text: shareText(meta), files });
  } finally {
    await caches.delete(CACHE);
  }
}
