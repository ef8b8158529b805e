// Account settings: profile (display name, picture), password, and the sessions list with sign-out per session.
import { createSignal, For, onMount, Show } from "solid-js";
import { LIMITS } from "../../../../server/protocol/types";
import { ApiError, describeError } from "../../lib/errors";
import { formatAgo, formatFull } from "../../lib/format";
import { changePassword, endSession, loadSessions, removeAvatar, saveDisplayName, sessions, setAvatar } from "../../state/account";
import { blocked, loadBlocks, unblockUser } from "../../state/blocks";
import { me } from "../../state/session";
import { Avatar } from "../../ui/Avatar";
import { IconUser } from "../../ui/icons";
import { Card, Page } from "../../ui/Page";
import { toast } from "../../ui/Toast";

const AVATAR_MAX_BYTES = 1024 * 1024;
const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];

/** Run a form action: busy while it runs, its error in the form. */
function useAction() {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const run = async (fn: () => Promise<unknown>, textFor: (e: unknown) => string = describeError): Promise<boolean> => {
    setBusy(true);
    setError("");
    try {
      await fn();
      return true;
    } catch (e) {
      setError(textFor(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

function Profile() {
  const u = () => me()!;
  const [name, setName] = createSignal(u().displayName);
  const save = useAction();
  const pic = useAction();
  let picker!: HTMLInputElement;
  const submit = async (e: Event) => {
    e.preventDefault();
    const v = name().trim();
    if (v.length > 64) return save.setError("Display names are at most 64 characters.");
    if (await save.run(() => saveDisplayName(v))) toast("Display name saved.");
  };
  const upload = async (file: File | undefined) => {
    picker.value = "";
    if (!file) return;
    if (file.type && !AVATAR_TYPES.includes(file.type)) return pic.setError("Pictures can be PNG, JPEG, WebP or GIF.");
    if (file.size > AVATAR_MAX_BYTES) return pic.setError("Pictures can be at most 1 MB.");
    if (await pic.run(() => setAvatar(file))) toast("Picture updated.");
  };
  return (
    <Card title="Profile" hint="How other people see you in rooms, direct messages and member lists.">
      <div class="profile">
        <Avatar name={u().displayName || u().username} seed={u().id} size={72} />
        <div class="profile-actions">
          <button type="button" class="btn" disabled={pic.busy()} onClick={() => picker.click()}>
            {u().avatarUrl ? "Change picture" : "Upload picture"}
          </button>
          <Show when={u().avatarUrl}>
            <button type="button" class="btn danger" disabled={pic.busy()} onClick={() => void pic.run(removeAvatar).then((ok) => ok && toast("Picture removed."))}>
              Remove picture
            </button>
          </Show>
          <input ref={picker} type="file" hidden aria-label="Choose a picture" accept={AVATAR_TYPES.join(",")} onChange={(e) => void upload(e.currentTarget.files?.[0])} />
          <span class="muted small-note wide">PNG, JPEG, WebP or GIF, up to 1 MB.</span>
        </div>
      </div>
      <div class="form-error" role="alert">{pic.error()}</div>
      <form onSubmit={submit}>
        <div class="form-row">
          <label>
            <span>Display name</span>
            <input name="displayName" maxLength={64} autocomplete="nickname" placeholder={u().username} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit" class="btn primary" disabled={save.busy() || name().trim() === u().displayName}>Save</button>
        </div>
        <span class="muted small-note">Username: @{u().username}</span>
        <div class="form-error" role="alert">{save.error()}</div>
      </form>
    </Card>
  );
}

function Password() {
  const [current, setCurrent] = createSignal("");
  const [next, setNext] = createSignal("");
  const [again, setAgain] = createSignal("");
  const [done, setDone] = createSignal(false);
  const act = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(false);
    if (!current()) return act.setError("Enter your current password.");
    if (next().length < LIMITS.PASSWORD_MIN) return act.setError(`New passwords need at least ${LIMITS.PASSWORD_MIN} characters.`);
    if (next() !== again()) return act.setError("The new passwords don't match.");
    const wrong = (e: unknown) => (e instanceof ApiError && e.code === "invalid_credentials" ? "Your current password is not right." : describeError(e));
    if (!(await act.run(() => changePassword(current(), next()), wrong))) return;
    setCurrent("");
    setNext("");
    setAgain("");
    setDone(true);
  };
  return (
    <Card title="Password" hint="Changing it signs you out everywhere else; this device stays signed in.">
      <form onSubmit={submit} novalidate>
        <input type="text" name="username" autocomplete="username" value={me()?.username ?? ""} hidden readOnly />
        <label>
          <span>Current password</span>
          <input type="password" name="currentPassword" autocomplete="current-password" value={current()} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <div class="form-row">
          <label>
            <span>New password</span>
            <input type="password" name="newPassword" autocomplete="new-password" value={next()} onInput={(e) => setNext(e.currentTarget.value)} />
          </label>
          <label>
            <span>Repeat new password</span>
            <input type="password" name="repeatPassword" autocomplete="new-password" value={again()} onInput={(e) => setAgain(e.currentTarget.value)} />
          </label>
        </div>
        <div class="form-error" role="alert">{act.error()}</div>
        <Show when={done()}>
          <p class="ok-note" role="status">Password changed. Your other sessions were signed out.</p>
        </Show>
        <div class="actions">
          <button type="submit" class="btn primary" disabled={act.busy()}>Change password</button>
        </div>
      </form>
    </Card>
  );
}

/** "Chrome on Linux" from a user agent, or the raw string when it says nothing familiar. */
export function deviceName(ua: string | undefined): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows" : /Mac OS X/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "";
  if (!browser && !os) return ua.slice(0, 60);
  return [browser || "Browser", os && `on ${os}`].filter(Boolean).join(" ");
}

function Sessions() {
  const [busy, setBusy] = createSignal("");
  onMount(() => void loadSessions());
  const end = async (id: string) => {
    const s = sessions.list.find((x) => x.id === id);
    if (!s) return;
    if (s.current && !window.confirm("Sign out on this device?")) return;
    setBusy(id);
    try {
      await endSession(s);
      toast("Session signed out.");
    } catch (e) {
      toast(`Couldn't sign that session out: ${describeError(e)}`);
    } finally {
      setBusy("");
    }
  };
  return (
    <Card title="Sessions" hint="Where your account is signed in. Sign out any you don't recognise.">
      <Show when={!sessions.error} fallback={<div class="form-error" role="alert">{describeError(sessions.error)}</div>}>
        <ul class="plain-list" aria-label="Sessions">
          <For each={sessions.list} fallback={<li class="muted">{sessions.loaded ? "No sessions." : "Loading sessions…"}</li>}>
            {(s) => (
              <li data-session={s.id}>
                <div class="item-text">
                  <strong>
                    {deviceName(s.userAgent)} <Show when={s.current}><span class="tag here">This device</span></Show>
                  </strong>
                  <span class="muted">
                    {s.ip ? `${s.ip} · ` : ""}last active {formatAgo(s.lastUsedAt)} · <span title={formatFull(s.createdAt)}>signed in {formatAgo(s.createdAt)}</span>
                  </span>
                </div>
                <div class="item-actions">
                  <button type="button" class="btn sm" classList={{ danger: !s.current }} disabled={busy() === s.id} onClick={() => void end(s.id)}>
                    Sign out
                  </button>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </Card>
  );
}

function Blocked() {
  const [busy, setBusy] = createSignal("");
  const [error, setError] = createSignal<unknown>();
  onMount(() => void loadBlocks(true).catch(setError));
  const list = () => Object.values(blocked).sort((a, b) => (a.displayName || a.username).localeCompare(b.displayName || b.username));
  const undo = async (id: string, name: string) => {
    setBusy(id);
    try {
      await unblockUser(id);
      toast(`Unblocked ${name}.`);
    } catch (e) {
      toast(`Couldn't unblock: ${describeError(e)}`);
    } finally {
      setBusy("");
    }
  };
  return (
    <Card title="Blocked people" hint="They can't message you directly or notify you with mentions; their messages are collapsed in shared rooms.">
      <Show when={!error()} fallback={<div class="form-error" role="alert">{describeError(error())}</div>}>
        <ul class="plain-list" aria-label="Blocked people">
          <For each={list()} fallback={<li class="muted">You haven't blocked anyone.</li>}>
            {(u) => (
              <li data-user={u.id}>
                <Avatar name={u.displayName || u.username} seed={u.id} size={32} />
                <div class="item-text">
                  <strong>{u.displayName || u.username}</strong>
                  <span class="muted">@{u.username}</span>
                </div>
                <div class="item-actions">
                  <button type="button" class="btn sm" disabled={busy() === u.id} onClick={() => void undo(u.id, u.displayName || u.username)}>
                    Unblock
                  </button>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </Card>
  );
}

export function AccountPage() {
  return (
    <Page title="Account settings" subtitle={`@${me()?.username ?? ""}`} icon={<IconUser />}>
      <Profile />
      <Password />
      <Sessions />
      <Blocked />
    </Page>
  );
}
