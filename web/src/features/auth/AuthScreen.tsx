// Sign-in / create-account screen with inline validation and clear server error messages.
import { createResource, createSignal, Show } from "solid-js";
import { LIMITS } from "../../../../server/protocol/types";
import { ApiError, describeError } from "../../lib/errors";
import { request } from "../../lib/api";
import { inviteCode, setInviteCode } from "../../state/route";
import { endReason, login, register, ssoError } from "../../state/session";
import { InviteNote, useInvite } from "./Invite";
import { ResetDialog } from "./ResetDialog";

/** Single sign-on, when the server has it: the provider's name for the button. */
const ssoInfo = () => request<{ enabled: boolean; name?: string }>("GET", "/api/auth/oidc", undefined, false).catch(() => ({ enabled: false, name: undefined }));

function ssoMessage(code: string): string {
  if (!code) return "";
  if (code === "forbidden") return "That account is deactivated.";
  if (["registration_closed", "invite_required", "invalid_invite"].includes(code)) return "Signing up this way needs an invitation.";
  return "Single sign-on did not work. Please try again.";
}

/** Why the last session ended without the user asking. */
const ENDED = {
  "": "",
  expired: "Your session has ended (signed out elsewhere, or your password changed). Please sign in again.",
  deactivated: "Your account has been deactivated. Contact an administrator of this server.",
} as const;

export function AuthScreen() {
  const [mode, setMode] = createSignal<"login" | "register">(inviteCode() ? "register" : "login");
  const invite = useInvite();
  const [resetting, setResetting] = createSignal(false);
  const [username, setUsername] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [displayName, setDisplayName] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const isRegister = () => mode() === "register";
  const [sso] = createResource(ssoInfo);

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
      if (isRegister()) await register(username(), password(), displayName(), inviteCode() ?? undefined);
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
        <Show when={inviteCode()}>
          <InviteNote invite={invite()} loading={invite.loading} onDismiss={() => setInviteCode(null)} />
        </Show>
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
            {error() || ssoMessage(ssoError()) || ENDED[endReason()]}
          </div>
          <button class="btn primary block" type="submit" disabled={busy()}>
            {busy() ? "Please wait…" : isRegister() ? "Create account" : "Sign in"}
          </button>
        </form>
        <Show when={sso()?.enabled}>
          <div class="sso">
            <span>or</span>
            <a class="btn block" href={"/api/auth/oidc/start" + (inviteCode() ? "?invite=" + encodeURIComponent(inviteCode()!) : "")}>
              Sign in with {sso()?.name}
            </a>
          </div>
        </Show>
        <p class="switch">
          {isRegister() ? "Already have an account?" : "New here?"}{" "}
          <button type="button" class="link" onClick={switchMode}>
            {isRegister() ? "Sign in" : "Create an account"}
          </button>
        </p>
        <Show when={!isRegister()}>
          <p class="switch">
            <button type="button" class="link muted" onClick={() => setResetting(true)}>Have a password-reset code?</button>
          </p>
        </Show>
        <Show when={resetting()}>
          <ResetDialog onClose={() => setResetting(false)} />
        </Show>
      </div>
    </main>
  );
}
