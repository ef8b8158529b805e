// Files staged in a composer, per tray (a room's composer, or a thread's: files never move between them): uploading (with
// progress), ready (an upload id) or failed; sent with the next message.
import { createStore, produce } from "solid-js/store";
import { LIMITS, type Attachment } from "../../../server/protocol/types";
import { describeError } from "../lib/errors";
import { isImage, uploadFile } from "../lib/upload";

export interface Staged {
  key: string;
  name: string;
  size: number;
  mime: string;
  progress: number;
  state: "uploading" | "ready" | "failed";
  error?: string;
  upload?: Attachment;
  /** blob: URL of the local file, for image previews. */
  preview?: string;
}

/** Where files wait: the room's composer (no `thread`), or the composer of the thread on root `thread`. */
export interface Tray {
  room: string;
  thread?: number;
}
const keyOf = (t: Tray) => (t.thread === undefined ? t.room : `${t.room}#${t.thread}`);

const [staged, setStaged] = createStore<Record<string, Staged[]>>({});
export const stagedIn = (t: Tray): Staged[] => staged[keyOf(t)] ?? [];
const aborts = new Map<string, () => void>();
/** Local previews by upload id, so our own freshly sent images show without a download. */
export const localPreviews = new Map<string, string>();
let n = 0;

function patch(tray: string, key: string, p: Partial<Staged>): void {
  setStaged(tray, (l) => l.key === key, produce((s) => Object.assign(s, p)));
}

export function addFiles(t: Tray, files: File[]): string | undefined {
  const tray = keyOf(t);
  const list = stagedIn(t);
  const room_left = LIMITS.ATTACHMENTS_MAX - list.filter((s) => s.state !== "failed").length;
  let note: string | undefined;
  if (files.length > room_left) {
    note = `You can attach up to ${LIMITS.ATTACHMENTS_MAX} files to one message.`;
    files = files.slice(0, Math.max(0, room_left));
  }
  for (const file of files) {
    const key = `u${++n}`;
    const s: Staged = { key, name: file.name || "pasted-file", size: file.size, mime: file.type, progress: 0, state: "uploading" };
    if (isImage(file.type)) s.preview = URL.createObjectURL(file);
    setStaged(tray, (l) => [...(l ?? []), s]);
    const h = uploadFile(t.room, file, (f) => patch(tray, key, { progress: f }));
    aborts.set(key, h.abort);
    h.done
      .then((upload) => {
        if (s.preview) localPreviews.set(upload.id, s.preview);
        patch(tray, key, { state: "ready", progress: 1, upload });
      })
      .catch((e) => patch(tray, key, { state: "failed", error: describeError(e, `“${s.name}”`) }))
      .finally(() => aborts.delete(key));
  }
  return note;
}

export function removeStaged(t: Tray, key: string): void {
  aborts.get(key)?.();
  const s = stagedIn(t).find((x) => x.key === key);
  if (s?.preview && !s.upload) URL.revokeObjectURL(s.preview);
  setStaged(keyOf(t), (l) => (l ?? []).filter((x) => x.key !== key));
}

export const uploading = (t: Tray) => stagedIn(t).some((s) => s.state === "uploading");
export const readyCount = (t: Tray) => stagedIn(t).filter((s) => s.state === "ready").length;

/** Take the ready uploads for sending; failed ones stay visible until dismissed. */
export function takeReady(t: Tray): Attachment[] {
  const ready = stagedIn(t).filter((s) => s.state === "ready" && s.upload);
  setStaged(keyOf(t), (l) => (l ?? []).filter((x) => x.state !== "ready"));
  return ready.map((s) => s.upload!);
}

/** Body to send when a message has files but no text (the server requires a body). */
export function captionFor(atts: Attachment[]): string {
  return atts.map((a) => a.filename).join(", ");
}

export function clearStaged(): void {
  for (const abort of aborts.values()) abort();
  for (const k of Object.keys(staged)) setStaged(k, undefined!);
}
