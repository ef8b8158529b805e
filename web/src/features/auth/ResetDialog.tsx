// Redeem a one-time password-reset code an admin handed over: a new password, then signed in (POST /api/auth/reset).
import { createSignal } from "solid-js";
import { LIMITS } from "../../../../server/protocol/types";
import { ApiError, describeError } from "../../lib/errors";
import { redeemResetCode } from "../../state/session";
import { Modal } from "../../ui/Modal";
import "../../ui/page.css";

export function ResetDialog(p: { onClose: () => void }) {
  const [code, setCode] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!code().trim()) return setError("Enter the code you were given.");
    if (password().length < LIMITS.PASSWORD_MIN) return setError(`Passwords need at least ${LIMITS.PASSWORD_MIN} characters.`);
    setBusy(true);
    setError("");
    try {
      await redeemResetCode(code(), password());
    } catch (err) {
      setError(err instanceof ApiError && err.code === "invalid_credentials" ? "That code is not valid (it may have expired or been used). Ask your administrator for a new one." : describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Reset your password" onClose={p.onClose}>
      <form class="stack" onSubmit={submit} novalidate>
        <p class="muted flush">An administrator of this server can give you a one-time code.</p>
        <label>
          <span>Reset code</span>
          <input name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck={false} value={code()} onInput={(e) => setCode(e.currentTarget.value)} />
        </label>
        <label>
          <span>New password</span>
          <input name="newPassword" type="password" autocomplete="new-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <div class="form-error" role="alert">{error()}</div>
        <div class="actions">
          <button type="button" class="btn" onClick={p.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy()}>Set password and sign in</button>
        </div>
      </form>
    </Modal>
  );
}
