// Administration (server admins only): people (search, paging, deactivate/reactivate, admin rights, password-reset codes) and invite links.
import { createMemo, createSignal, For, onMount, Show } from "solid-js";
import type { AdminUser, Invite } from "../../lib/api";
import { describeError } from "../../lib/errors";
import { formatAgo, formatFull } from "../../lib/format";
import { createInvite, deactivate, inviteLink, invites, loadInvites, people, reactivate, resetCode, revokeInvite, searchUsers, setServerAdmin } from "../../state/admin";
import { sortedRooms } from "../../state/rooms";
import { me } from "../../state/session";
import { Avatar } from "../../ui/Avatar";
import { IconCopy, IconHash, IconLock, IconShield } from "../../ui/icons";
import { Modal } from "../../ui/Modal";
import { Card, copyText, Page } from "../../ui/Page";
import { toast, toastError } from "../../ui/Toast";

/** A secret shown once (an invite link, a reset code) in a read-only field with a copy button. */
function Secret(p: { label: string; value: string }) {
  let input!: HTMLInputElement;
  const copy = async () => {
    input.select();
    toast((await copyText(p.value)) ? "Copied." : "Select the text and copy it.");
  };
  return (
    <div class="secret">
      <input ref={input} readOnly aria-label={p.label} value={p.value} onFocus={(e) => e.currentTarget.select()} />
      <button type="button" class="btn sm" onClick={() => void copy()} aria-label={`Copy ${p.label.toLowerCase()}`}>
        <IconCopy /> Copy
      </button>
    </div>
  );
}

function ResetCodeDialog(p: { user: AdminUser; onClose: () => void }) {
  const [code, setCode] = createSignal<{ code: string; expiresAt: number } | null>(null);
  const [error, setError] = createSignal("");
  onMount(() => void resetCode(p.user.id).then(setCode, (e) => setError(describeError(e))));
  return (
    <Modal title={`Password reset for @${p.user.username}`} onClose={p.onClose}>
      <div class="stack">
        <Show when={code()} fallback={<p class="muted">{error() ? "" : "Creating a code…"}</p>}>
          {(c) => (
            <>
              <p>
                Give this one-time code to {p.user.displayName || p.user.username}. It is shown only now and works until {formatFull(c().expiresAt)}. Using it sets a new password and signs out their other sessions.
              </p>
              <Secret label="Reset code" value={c().code} />
            </>
          )}
        </Show>
        <div class="form-error" role="alert">{error()}</div>
        <div class="actions">
          <button type="button" class="btn primary" onClick={p.onClose}>Done</button>
        </div>
      </div>
    </Modal>
  );
}

function PersonRow(p: { u: AdminUser; onReset: (u: AdminUser) => void }) {
  const [busy, setBusy] = createSignal(false);
  const self = () => p.u.id === me()?.id;
  const name = () => p.u.displayName || p.u.username;
  const act = async (fn: () => Promise<void>, done: string, what: string, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    await fn().then(() => toast(done), toastError(what));
    setBusy(false);
  };
  return (
    <li data-user={p.u.id}>
      <Avatar name={name()} seed={p.u.id} size={36} url={p.u.avatarUrl} />
      <div class="item-text">
        <strong>
          {name()} <Show when={self()}><span class="muted">(you)</span></Show> <Show when={p.u.isAdmin}><span class="tag">admin</span></Show>{" "}
          <Show when={p.u.deactivatedAt}><span class="tag off">deactivated</span></Show>
        </strong>
        <span class="muted">
          @{p.u.username} · joined <span title={formatFull(p.u.createdAt)}>{formatAgo(p.u.createdAt)}</span>
          {p.u.lastSeen ? ` · last seen ${formatAgo(p.u.lastSeen)}` : ""}
        </span>
      </div>
      <div class="item-actions" role="group" aria-label={`Manage ${name()}`}>
        <Show
          when={p.u.isAdmin}
          fallback={
            <button type="button" class="btn sm" disabled={busy() || !!p.u.deactivatedAt} onClick={() => void act(() => setServerAdmin(p.u.id, true), `${name()} is now an administrator.`, "make them an administrator")}>
              Make admin
            </button>
          }
        >
          <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(() => setServerAdmin(p.u.id, false), `${name()} is no longer an administrator.`, "remove administrator rights", self() ? "Remove your own administrator rights? You will lose access to this screen." : undefined)}>
            Remove admin
          </button>
        </Show>
        <button type="button" class="btn sm" disabled={busy() || !!p.u.deactivatedAt} onClick={() => p.onReset(p.u)}>
          Reset password
        </button>
        <Show
          when={p.u.deactivatedAt}
          fallback={
            <button type="button" class="btn sm danger" disabled={busy() || self()} onClick={() => void act(() => deactivate(p.u.id), `${name()} is deactivated.`, "deactivate", `Deactivate @${p.u.username}? They are signed out everywhere at once and can't sign in until reactivated.`)}>
              Deactivate
            </button>
          }
        >
          <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(() => reactivate(p.u.id), `${name()} can sign in again.`, "reactivate")}>
            Reactivate
          </button>
        </Show>
      </div>
    </li>
  );
}

function People() {
  const [q, setQ] = createSignal("");
  const [resetFor, setResetFor] = createSignal<AdminUser | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onMount(() => void searchUsers(""));
  const onInput = (v: string) => {
    setQ(v);
    clearTimeout(timer);
    timer = setTimeout(() => void searchUsers(v.trim()), 250);
  };
  return (
    <Card title="People" hint="Everyone with an account on this server.">
      <form class="search-row" role="search" onSubmit={(e) => (e.preventDefault(), clearTimeout(timer), void searchUsers(q().trim()))}>
        <input type="search" aria-label="Search people" placeholder="Search by username or display name" value={q()} onInput={(e) => onInput(e.currentTarget.value)} />
      </form>
      <Show when={people.error}>
        <div class="form-error" role="alert">{describeError(people.error)}</div>
      </Show>
      <ul class="plain-list" aria-label="People">
        <For each={people.list} fallback={<li class="muted">{people.loading ? "Loading…" : people.q ? "Nobody matches." : "No accounts."}</li>}>
          {(u) => <PersonRow u={u} onReset={setResetFor} />}
        </For>
      </ul>
      <Show when={people.next}>
        <div class="actions">
          <button type="button" class="btn" disabled={people.loading} onClick={() => void searchUsers(people.q, true)}>
            {people.loading ? "Loading…" : "Load more"}
          </button>
        </div>
      </Show>
      <Show when={resetFor()}>{(u) => <ResetCodeDialog user={u()} onClose={() => setResetFor(null)} />}</Show>
    </Card>
  );
}

const EXPIRIES = [
  { label: "1 hour", sec: 3600 },
  { label: "1 day", sec: 86_400 },
  { label: "7 days", sec: 604_800 },
  { label: "30 days", sec: 2_592_000 },
];

function Invites() {
  const [uses, setUses] = createSignal(1);
  const [expires, setExpires] = createSignal(604_800);
  const [picked, setPicked] = createSignal<string[]>([]);
  const [created, setCreated] = createSignal<Invite | null>(null);
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  onMount(() => void loadInvites());
  // Rooms we may add people to: public rooms, and private ones we run.
  const choosable = createMemo(() => sortedRooms().filter((r) => r.kind === "public" || (r.kind === "private" && (r.role === "owner" || r.role === "admin"))));
  const names = createMemo(() => Object.fromEntries(sortedRooms().map((r) => [r.id, r.name])));
  const toggle = (id: string, on: boolean) => setPicked((l) => (on ? [...l, id] : l.filter((x) => x !== id)));
  const submit = async (e: Event) => {
    e.preventDefault();
    const n = Math.floor(uses());
    if (!(n >= 1 && n <= 1000)) return setError("Uses must be between 1 and 1000.");
    setBusy(true);
    setError("");
    try {
      setCreated(await createInvite({ maxUses: n, expiresInSec: expires(), rooms: picked() }));
      setPicked([]);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const revoke = (code: string) => {
    if (!window.confirm("Revoke this invite? The link stops working at once.")) return;
    revokeInvite(code).then(() => {
      toast("Invite revoked.");
      if (created()?.code === code) setCreated(null);
    }, toastError("revoke the invite"));
  };
  return (
    <>
      <Card title="New invite link" hint="Anyone with the link can create an account (as many times as it allows) and lands in the rooms you pick.">
        <form onSubmit={submit} aria-label="New invite">
          <div class="form-row">
            <label>
              <span>Uses</span>
              <input type="number" name="maxUses" min="1" max="1000" value={uses()} onInput={(e) => setUses(Number(e.currentTarget.value))} />
            </label>
            <label>
              <span>Expires after</span>
              <select name="expires" value={String(expires())} onChange={(e) => setExpires(Number(e.currentTarget.value))}>
                <For each={EXPIRIES}>{(o) => <option value={o.sec}>{o.label}</option>}</For>
              </select>
            </label>
          </div>
          <fieldset class="room-pick-set">
            <legend class="muted">Join these rooms</legend>
            <div class="room-picks">
              <For each={choosable()} fallback={<span class="muted">You have no rooms to add people to yet.</span>}>
                {(r) => (
                  <label class="check">
                    <input type="checkbox" checked={picked().includes(r.id)} onChange={(e) => toggle(r.id, e.currentTarget.checked)} />
                    {r.kind === "private" ? <IconLock size={14} /> : <IconHash size={14} />}
                    {r.name}
                  </label>
                )}
              </For>
            </div>
          </fieldset>
          <div class="form-error" role="alert">{error()}</div>
          <div class="actions">
            <button type="submit" class="btn primary" disabled={busy()}>Create invite link</button>
          </div>
        </form>
        <Show when={created()}>
          {(inv) => (
            <div class="invite-created" role="status">
              <strong>Invite link ready — send it to the people you want to invite:</strong>
              <Secret label="Invite link" value={inviteLink(inv().code)} />
            </div>
          )}
        </Show>
      </Card>
      <Card title="Invites" id="invite-list" hint="Invites that have neither expired nor been revoked.">
        <Show when={invites.error}>
          <div class="form-error" role="alert">{describeError(invites.error)}</div>
        </Show>
        <ul class="plain-list" aria-label="Invites">
          <For each={invites.list} fallback={<li class="muted">{invites.loaded ? "No active invites." : "Loading…"}</li>}>
            {(inv) => (
              <li data-invite={inv.code}>
                <div class="item-text">
                  <strong>
                    …{inv.code.slice(-6)} · {inv.uses}/{inv.maxUses} used <Show when={inv.uses >= inv.maxUses}><span class="tag off">used up</span></Show>
                  </strong>
                  <span class="muted">
                    expires {formatAgo(inv.expiresAt)}
                    {inv.rooms?.length ? ` · joins ${inv.rooms.map((id) => `#${names()[id] ?? "a room"}`).join(", ")}` : ""}
                  </span>
                </div>
                <div class="item-actions">
                  <button type="button" class="btn sm" onClick={() => void copyText(inviteLink(inv.code)).then((ok) => toast(ok ? "Link copied." : inviteLink(inv.code)))}>
                    <IconCopy /> Copy link
                  </button>
                  <button type="button" class="btn sm danger" onClick={() => revoke(inv.code)}>
                    Revoke
                  </button>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Card>
    </>
  );
}

export function AdminPage() {
  const [tab, setTab] = createSignal<"people" | "invites">("people");
  return (
    <Page title="Administration" subtitle="People and invites on this server" icon={<IconShield />}>
      <Show when={me()?.isAdmin} fallback={<Card title="Administrators only"><p class="muted">This screen is for server administrators.</p></Card>}>
        <div class="tabs" role="tablist" aria-label="Administration">
          <button type="button" role="tab" aria-selected={tab() === "people"} onClick={() => setTab("people")}>People</button>
          <button type="button" role="tab" aria-selected={tab() === "invites"} onClick={() => setTab("invites")}>Invites</button>
        </div>
        <Show when={tab() === "people"} fallback={<Invites />}>
          <People />
        </Show>
      </Show>
    </Page>
  );
}
