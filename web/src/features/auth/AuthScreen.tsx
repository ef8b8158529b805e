// Sign-in / create-account screen with inline validation and clear server error messages.
import { createSignal, Show } from "solid-js";
import { LIMITS } from "../../../../server/protocol/types";
import { ApiError, describeError } from "../../lib/api";
import { login, register } from "../../state/session";

export function AuthScreen() {
  const [mode, setMode] = createSignal<"login" | "register">("login");
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [displayName, setDisplayName] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const isRegister = () => mode() === "register";

  const validate = (): string => {
    const u = username().trim().toLowerCase();
    if (!isRegister()) return u && password() ? "" : "Enter your username and password.";
    if (!LIMITS.USERNAME_RE.test(u)) return "Usernames are 3–32 characters: letters, digits, dot, dash or underscore.";
    if (password().length < LIMITS.PASSWORD_MIN) return `Passwords need at least ${LIMITS.PASSWORD_MIN} characters.`;
    return "";
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const v = validate();
    setError(v);
    if (v || busy()) return;
    setBusy(true);
    try {
      if (isRegister()) await register(username(), password(), displayName());
      else await login(username(), password());
    } catch (err) {
      let msg = describeError(err);
      if (err instanceof ApiError && err.status === 409 && isRegister()) msg = "That username is taken. Try another one.";
      setError(msg);
    } finally {
      setBusy(false);
    }
  };

  const switchMode = () => {
    setMode(isRegister() ? "login" : "register");
    setError("");
  };

  return (
    <main class="auth">
      <div class="auth-card">
        <div class="brand">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <span>Parley</span>
        </div>
        <h1>{isRegister() ? "Create your account" : "Welcome back"}</h1>
        <p class="muted">{isRegister() ? "Pick a username to start chatting." : "Sign in to continue to your conversations."}</p>
        <form onSubmit={submit} novalidate aria-describedby="auth-error">
          <label>
            <span>Username</span>
            <input name="username" autocomplete="username" autocapitalize="none" spellcheck={false} required value={username()} onInput={(e) => setUsername(e.currentTarget.value)} />
          </label>
          <Show when={isRegister()}>
            <label>
              <span>
                Display name <em class="muted">(optional)</em>
              </span>
              <input name="displayName" autocomplete="nickname" maxLength={64} value={displayName()} onInput={(e) => setDisplayName(e.currentTarget.value)} />
            </label>
          </Show>
          <label>
            <span>Password</span>
            <input name="password" type="password" autocomplete={isRegister() ? "new-password" : "current-password"} required value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <div id="auth-error" class="form-error" role="alert" aria-live="assertive">
            {error()}
          </div>
          <button class="btn primary block" type="submit" disabled={busy()}>
            {busy() ? "Please wait…" : isRegister() ? "Create account" : "Sign in"}
          </button>
        </form>
        <p class="switch">
          {isRegister() ? "Already have an account?" : "New here?"}{" "}
          <button type="button" class="link" onClick={switchMode}>
            {isRegister() ? "Sign in" : "Create an account"}
          </button>
        </p>
      </div>
    </main>
  );
}
