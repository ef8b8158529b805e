// Attachments: inline image previews (authenticated blob: URLs, click to enlarge), file links that download, and the composer's upload tray.
import { createResource, createSignal, For, Show } from "solid-js";
import type { Attachment } from "../../../../server/protocol/types";
import { formatSize } from "../../lib/format";
import { downloadUpload, isAudio, isImage, uploadUrl } from "../../lib/upload";
import { localPreviews, removeStaged, staged } from "../../state/uploads";
import { IconDownload, IconFile, IconX } from "../../ui/icons";
import { Modal } from "../../ui/Modal";
import { toast } from "../../ui/Toast";
import { VoicePlayer } from "./Voice";

function ImageAttachment(p: { a: Attachment }) {
  const [url] = createResource(() => p.a.id, (id) => localPreviews.get(id) ?? uploadUrl(id));
  const [open, setOpen] = createSignal(false);
  return (
    <>
      <button type="button" class="att-img" aria-label={`Open image ${p.a.filename}`} onClick={() => setOpen(true)}>
        <Show when={url()} fallback={<span class="att-img-ph" classList={{ failed: !!url.error }}>{url.error ? "Image unavailable" : ""}</span>}>
          <img src={url()} alt={p.a.filename} loading="lazy" />
        </Show>
      </button>
      <Show when={open() && url()}>
        <Modal title={p.a.filename} wide onClose={() => setOpen(false)}>
          <img class="lightbox" src={url()} alt={p.a.filename} />
          <div class="actions">
            <button type="button" class="btn sm" onClick={() => void downloadUpload(p.a)}><IconDownload /> Download</button>
          </div>
        </Modal>
      </Show>
    </>
  );
}

function FileAttachment(p: { a: Attachment }) {
  const [busy, setBusy] = createSignal(false);
  const get = async () => {
    setBusy(true);
    try {
      await downloadUpload(p.a);
    } catch (e) {
      toast((e as Error).message || "Couldn't download the file.");
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" class="att-file" aria-label={`Download ${p.a.filename}`} disabled={busy()} onClick={() => void get()}>
      <IconFile />
      <span class="att-name">{p.a.filename}</span>
      <span class="muted att-size">{formatSize(p.a.size)}</span>
      <IconDownload />
    </button>
  );
}

export function AttachmentList(p: { items: Attachment[] }) {
  return (
    <div class="attachments">
      <For each={p.items}>{(a) => (isImage(a.mime) ? <ImageAttachment a={a} /> : isAudio(a.mime) ? <VoicePlayer a={a} /> : <FileAttachment a={a} />)}</For>
    </div>
  );
}

/** Files staged in the composer: name, size, a progress bar while uploading, errors, remove. */
export function UploadTray(p: { room: string }) {
  const list = () => staged[p.room] ?? [];
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
              <button type="button" class="icon-btn sm" aria-label={`Remove ${s.name}`} onClick={() => removeStaged(p.room, s.key)}>
                <IconX />
              </button>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
