// A modal that asks for one username, validates it, runs an action and shows the action's error.
import { createSignal } from "solid-js";
import { LIMITS } from "../../../server/protocol/types";
import { Modal } from "./Modal";

export function UsernameDialog(p: {
  title: string;
  submitLabel: string;
  onClose: () => void;
  /** Runs with the folded username; closing on success is its job. */
  action: (username: string) => Promise<void>;
  /** The message to show when the action throws. */
  errorFor: (err: unknown, username: string) => string;
}) {
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const u = name().trim().replace(/^@/, "").toLowerCase();
    if (!LIMITS.USERNAME_RE.test(u)) return setError("Enter a valid username.");
    setBusy(true);
    setError("");
    try {
      await p.action(u);
    } catch (err) {
      setError(p.errorFor(err, u));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={p.title} onClose={p.onClose}>
      <form class="stack" onSubmit={submit}>
        <label>
          <span>Username</span>
          <input name="username" autofocus autocapitalize="none" spellcheck={false} placeholder="e.g. alice" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <div class="form-error" role="alert">{error()}</div>
        <div class="actions">
          <button type="button" class="btn" onClick={p.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy()}>{p.submitLabel}</button>
        </div>
      </form>
    </Modal>
  );
}
