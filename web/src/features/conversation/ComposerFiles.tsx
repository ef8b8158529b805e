// A composer's files, the same in the room's composer and a thread's: the paperclip and the record button, the upload tray
// (name, size, progress, errors, remove), pasted files, and the ready uploads taken when the message is sent.
import { For, Show } from "solid-js";
import type { Attachment } from "../../../../server/protocol/types";
import { formatSize } from "../../lib/format";
import { addFiles, captionFor, readyCount, removeStaged, stagedIn, takeReady, uploading, type Tray } from "../../state/uploads";
import { IconClip, IconFile, IconX } from "../../ui/icons";
import { toast } from "../../ui/Toast";
import { RecordButton } from "./Voice";

/** Stage files for upload in a tray; too many is reported as a toast. */
export function attachFiles(tray: Tray, files: File[]): void {
  if (!files.length) return;
  const note = addFiles(tray, files);
  if (note) toast(note);
}

/** Paste handler for a composer's textarea: pasted files are staged instead of pasted. */
export function pasteFiles(tray: () => Tray, disabled: () => boolean = () => false) {
  return (e: ClipboardEvent) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length || disabled()) return;
    e.preventDefault();
    attachFiles(tray(), files);
  };
}

/** Files ready in the tray to send with a message (they leave the tray); undefined while some still upload. */
export function takeFiles(tray: Tray): Attachment[] | undefined {
  if (uploading(tray)) {
    toast("Wait for the uploads to finish.");
    return undefined;
  }
  return readyCount(tray) ? takeReady(tray) : [];
}

/** The body of a message with these files: its text, or the file names when it has none (the server requires a body). */
export const bodyWith = (text: string, files: Attachment[]) => text || captionFor(files);

/** Sending is possible: no upload still running, and there is text or (unless `files` is false, as when editing) a ready file. */
export const canSendWith = (tray: Tray, hasText: boolean, files = true) => !uploading(tray) && (hasText || (files && readyCount(tray) > 0));

/** The paperclip (file picker) and the voice recorder, both staging into the tray. */
export function AttachButtons(p: { tray: Tray; disabled?: boolean }) {
  let picker!: HTMLInputElement;
  return (
    <>
      <button type="button" class="icon-btn attach" aria-label="Attach files" title="Attach files" disabled={p.disabled} onClick={() => picker.click()}>
        <IconClip />
      </button>
      <RecordButton disabled={p.disabled} onFile={(f) => attachFiles(p.tray, [f])} />
      <input
        ref={picker}
        type="file"
        multiple
        hidden
        aria-hidden="true"
        tabindex="-1"
        onChange={(e) => {
          attachFiles(p.tray, [...(e.currentTarget.files ?? [])]);
          e.currentTarget.value = "";
        }}
      />
    </>
  );
}

/** Files staged in the composer: name, size, a progress bar while uploading, errors, remove. */
export function UploadTray(p: { tray: Tray }) {
  const list = () => stagedIn(p.tray);
  return (
    <Show when={list().length}>
      <ul class="tray" aria-label="Attachments">
        <For each={list()}>
          {(s) => (
            <li class="tray-item" classList={{ failed: s.state === "failed" }}>
              <Show when={s.preview} fallback={<span class="tray-icon"><IconFile /></span>}>
                <img class="tray-thumb" src={s.preview} alt="" />
              </Show>
              <div class="tray-text">
                <span class="att-name">{s.name}</span>
                <Show when={s.state === "failed"} fallback={<span class="muted att-size">{s.state === "uploading" ? `Uploading… ${Math.round(s.progress * 100)}%` : formatSize(s.size)}</span>}>
                  <span class="fail" role="alert">{s.error}</span>
                </Show>
                <Show when={s.state === "uploading"}>
                  <progress max="1" value={s.progress} aria-label={`Uploading ${s.name}`} />
                </Show>
              </div>
              <button type="button" class="icon-btn sm" aria-label={`Remove ${s.name}`} onClick={() => removeStaged(p.tray, s.key)}>
                <IconX />
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
