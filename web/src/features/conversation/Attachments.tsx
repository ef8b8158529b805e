// Attachments of a message: inline image previews (authenticated blob: URLs, click to enlarge), voice players, file links that download.
import { createResource, createSignal, For, Show } from "solid-js";
import type { Attachment } from "../../../../server/protocol/types";
import { formatSize } from "../../lib/format";
import { downloadUpload, isAudio, isImage, uploadUrl } from "../../lib/upload";
import { localPreviews } from "../../state/uploads";
import { IconDownload, IconFile } from "../../ui/icons";
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

function FileAttachment(p: { a: Attachment; note?: string }) {
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
      <span class="muted att-size">{formatSize(p.a.size)}{p.note ? ` · ${p.note}` : ""}</span>
      <IconDownload />
    </button>
  );
}

/** Audio plays inline; a file this browser cannot decode (a codec it lacks, or broken bytes) becomes a download. */
function AudioAttachment(p: { a: Attachment }) {
  const [unplayable, setUnplayable] = createSignal(false);
  return (
    <Show when={!unplayable()} fallback={<FileAttachment a={p.a} note="can't be played in this browser" />}>
      <VoicePlayer a={p.a} onUnplayable={() => setUnplayable(true)} />
    </Show>
  );
}

export function AttachmentList(p: { items: Attachment[] }) {
  return (
    <div class="attachments">
      <For each={p.items}>{(a) => (isImage(a.mime) ? <ImageAttachment a={a} /> : isAudio(a.mime) ? <AudioAttachment a={a} /> : <FileAttachment a={a} />)}</For>
    </div>
  );
}
