// Banner shown while the realtime connection is down or reconnecting, with a countdown and "retry now".
import { createSignal, onCleanup, Show } from "solid-js";
import { nextRetryAt, reconnectNow, socketStatus } from "../lib/socket";
import { outbox } from "../state/outbox";

export function ConnectionBanner() {
  const [now, setNow] = createSignal(Date.now());
  const t = setInterval(() => setNow(Date.now()), 500);
  onCleanup(() => clearInterval(t));
  const [online, setOnline] = createSignal(navigator.onLine);
  const up = () => setOnline(true);
  const down = () => setOnline(false);
  window.addEventListener("online", up);
  window.addEventListener("offline", down);
  onCleanup(() => {
    window.removeEventListener("online", up);
    window.removeEventListener("offline", down);
  });
  const show = () => socketStatus() === "reconnecting" || !online();
  const secs = () => Math.max(0, Math.ceil((nextRetryAt() - now()) / 1000));
  const waiting = () => outbox.list.filter((p) => p.state === "sending").length;
  return (
    <Show when={show()}>
      <div class="banner" role="status" aria-live="polite">
        <span class="spinner light" aria-hidden="true" />
        <span>
          {online() ? "Connection lost. Reconnecting" : "You're offline. Waiting for the network"}
          {online() && secs() > 0 ? ` in ${secs()}s…` : "…"}
          <Show when={waiting()}> {waiting()} message{waiting() === 1 ? "" : "s"} will be sent when you're back.</Show>
        </span>
        <Show when={online()}>
          <button type="button" class="link" onClick={() => reconnectNow()}>Retry now</button>
        </Show>
      </div>
    </Show>
  );
}
