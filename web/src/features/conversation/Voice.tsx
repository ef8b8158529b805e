// Voice messages: a record button for the composer (MediaRecorder, Opus) and an inline player for audio attachments
// (play/pause, progress bar, duration) that also plays files recorded elsewhere (Ogg/Opus, WebM, M4A, MP3).
import { createResource, createSignal, onCleanup, Show } from "solid-js";
import type { Attachment } from "../../../../server/protocol/types";
import { uploadUrl } from "../../lib/upload";
import { localPreviews } from "../../state/uploads";
import { IconMic, IconPause, IconPlay, IconStop } from "../../ui/icons";
import { toast } from "../../ui/Toast";

export const clock = (sec: number) => {
  const s = Number.isFinite(sec) && sec > 0 ? Math.round(sec) : 0;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};

/** Inline player; `onUnplayable` is called when this browser cannot decode the file (the caller offers a download instead). */
export function VoicePlayer(p: { a: Attachment; onUnplayable(): void }) {
  let audio!: HTMLAudioElement;
  const [url] = createResource(() => p.a.id, (id) => localPreviews.get(id) ?? uploadUrl(id));
  const [playing, setPlaying] = createSignal(false);
  const [at, setAt] = createSignal(0);
  const [duration, setDuration] = createSignal(0);
  // MediaRecorder's WebM has no duration in its header: seek far once so the browser reads it to the end.
  let probing = false;
  const onMeta = () => {
    if (Number.isFinite(audio.duration)) return setDuration(audio.duration);
    probing = true;
    audio.currentTime = 1e9;
  };
  const onTime = () => {
    if (probing && Number.isFinite(audio.duration)) {
      probing = false;
      setDuration(audio.duration);
      audio.currentTime = 0;
      return;
    }
    if (!probing) setAt(audio.currentTime);
  };
  const toggle = () =>
    audio.paused ? void audio.play().catch((e: DOMException) => (e.name === "NotSupportedError" ? p.onUnplayable() : toast("This voice message can't be played here."))) : audio.pause();
  return (
    <div class="voice" role="group" aria-label={`Voice message ${p.a.filename}`}>
      <button type="button" class="play" aria-label={playing() ? "Pause voice message" : "Play voice message"} disabled={!url()} onClick={toggle}>
        <Show when={playing()} fallback={<IconPlay />}>
          <IconPause />
        </Show>
      </button>
      <progress max={duration() || 1} value={Math.min(at(), duration() || 1)} aria-label="Played" />
      <time aria-label="Duration">{playing() || at() > 0 ? clock(at()) : clock(duration())}</time>
      <Show when={url()}>
        <audio
          ref={audio}
          src={url()}
          preload="metadata"
          onLoadedMetadata={onMeta}
          onError={() => p.onUnplayable()}
          onDurationChange={() => Number.isFinite(audio.duration) && !probing && setDuration(audio.duration)}
          onTimeUpdate={onTime}
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onEnded={() => (setPlaying(false), setAt(0))}
        />
      </Show>
    </div>
  );
}

/** The best Opus recording type this browser offers. */
function recordingType(): string | undefined {
  if (typeof MediaRecorder === "undefined") return undefined;
  return ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"].find((t) => MediaRecorder.isTypeSupported(t));
}

/** Record button: first click asks for the microphone and records, second click stops and hands over the file. */
export function RecordButton(p: { disabled?: boolean; onFile(f: File): void }) {
  const [rec, setRec] = createSignal<MediaRecorder | undefined>();
  const [started, setStarted] = createSignal(0);
  const [now, setNow] = createSignal(Date.now());
  let tick: ReturnType<typeof setInterval> | undefined;
  onCleanup(() => {
    clearInterval(tick);
    const r = rec();
    if (r && r.state !== "inactive") r.stop();
  });
  const start = async () => {
    const type = recordingType();
    if (!type || !navigator.mediaDevices?.getUserMedia) return toast("This browser can't record audio.");
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      return toast("Parley may not use the microphone. Allow it in the browser's site settings.");
    }
    const r = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: 32_000 });
    const chunks: Blob[] = [];
    r.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    r.onstop = () => {
      for (const t of stream.getTracks()) t.stop();
      clearInterval(tick);
      setRec(undefined);
      const mime = r.mimeType.split(";")[0] || "audio/webm";
      const ext = mime.includes("ogg") ? "ogg" : mime.includes("mp4") ? "m4a" : "webm";
      const blob = new Blob(chunks, { type: mime });
      if (blob.size) p.onFile(new File([blob], `voice-message-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.${ext}`, { type: mime }));
    };
    r.start(250);
    setStarted(Date.now());
    setNow(Date.now());
    tick = setInterval(() => setNow(Date.now()), 250);
    setRec(r);
  };
  return (
    <>
      <button
        type="button"
        class="icon-btn record"
        classList={{ on: !!rec() }}
        aria-label={rec() ? "Stop recording" : "Record a voice message"}
        title={rec() ? "Stop recording" : "Record a voice message"}
        aria-pressed={!!rec()}
        disabled={p.disabled}
        onClick={() => (rec() ? rec()!.stop() : void start())}
      >
        <Show when={rec()} fallback={<IconMic />}>
          <IconStop />
        </Show>
      </button>
      <Show when={rec()}>
        <span class="recording" role="status">
          <span class="dot" aria-hidden="true" /> Recording {clock((now() - started()) / 1000)}
        </span>
      </Show>
    </>
  );
}
