// Transient status toasts (errors from edits, reactions, joins…), announced politely to screen readers.
import { createSignal, For } from "solid-js";
import { describeError } from "../lib/errors";

interface T {
  id: number;
  text: string;
}
const [toasts, setToasts] = createSignal<T[]>([]);
let n = 0;

export function toast(text: string): void {
  const id = ++n;
  setToasts((l) => [...l.slice(-2), { id, text }]);
  setTimeout(() => setToasts((l) => l.filter((t) => t.id !== id)), 4500);
}

/** A catch handler: "Couldn't <what>: <why>". */
export const toastError = (what: string) => (e: unknown) => toast(`Couldn't ${what}: ${describeError(e)}`);

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      <For each={toasts()}>{(t) => <div class="toast">{t.text}</div>}</For>
    </div>
  );
}
