// Room administration: the member list (roles, presence, mutes; role changes and ownership handover; kick / ban / mute for admins) and room settings (name, topic, slow mode).
import { createMemo, createSignal, For, Show, untrack } from "solid-js";
import type { Role, Room } from "../../../../server/protocol/types";
import { describeError } from "../../lib/errors";
import { formatTime, presenceText } from "../../lib/format";
import { loadMembers, memberList, type MemberInfo } from "../../state/members";
import { ban, kick, saveRoomSettings, setMemberRole, silence, transferOwnership } from "../../state/room-actions";
import { blockUser, isBlocked, unblockUser } from "../../state/blocks";
import { users } from "../../state/users";
import { me } from "../../state/session";
import { displayName, lastSeen, presence, username } from "../../state/users";
import { Avatar } from "../../ui/Avatar";
import { Modal } from "../../ui/Modal";
import { toast } from "../../ui/Toast";

const RANK: Record<Role, number> = { owner: 0, admin: 1, member: 2 };
const MUTES = [
  { label: "Mute 15 minutes", sec: 15 * 60 },
  { label: "Mute 1 hour", sec: 3600 },
  { label: "Mute 24 hours", sec: 86_400 },
];
export const SLOW_MODES = [0, 5, 10, 30, 60, 300, 900, 3600];
const DAY = 86_400;
/** Expiring messages: the presets; any other value is "custom" (in days). */
export const TTL_PRESETS = [0, DAY, 7 * DAY, 30 * DAY];
export const ttlLabel = (sec: number) => (sec === 0 ? "Off" : sec % DAY === 0 ? `${sec / DAY} day${sec === DAY ? "" : "s"}` : sec % 3600 === 0 ? `${sec / 3600} hours` : `${Math.round(sec / 60)} minutes`);

function MemberRow(p: { room: Room; m: MemberInfo; canAct: boolean; myRole: Role }) {
  const [busy, setBusy] = createSignal(false);
  const name = () => displayName(p.m.userId);
  const muted = () => !!p.m.silencedUntil && p.m.silencedUntil > Date.now();
  // Roles, as the contract allows: the owner sets anyone's role and hands over ownership; an admin may only make members admins.
  const other = () => p.m.userId !== me()?.id;
  const canPromote = () => other() && p.m.role === "member" && (p.myRole === "owner" || p.myRole === "admin");
  const canDemote = () => other() && p.m.role === "admin" && p.myRole === "owner";
  const canHandOver = () => other() && p.myRole === "owner";
  const act = async (what: string, fn: () => Promise<unknown>, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return;
    setBusy(true);
    try {
      await fn();
      toast(what);
    } catch (e) {
      toast(`Couldn't do that: ${describeError(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="member" data-user={p.m.userId}>
      <Avatar name={name()} seed={p.m.userId} size={34} status={presence[p.m.userId] ?? "offline"} />
      <div class="member-text">
        <strong>
          {name()}
          <Show when={p.m.userId === me()?.id}> <span class="muted">(you)</span></Show>
        </strong>
        <span class="muted">
          @{username(p.m.userId) ?? ""} · {presenceText(presence[p.m.userId] ?? "offline", lastSeen[p.m.userId])}
          <Show when={muted()}> · <span class="fail">muted until {formatTime(p.m.silencedUntil!)}</span></Show>
        </span>
      </div>
      <Show when={p.m.role !== "member"}>
        <span class="role" classList={{ owner: p.m.role === "owner" }}>{p.m.role}</span>
      </Show>
      <Show when={canPromote() || canDemote() || canHandOver()}>
        <div class="member-actions" role="group" aria-label={`Role of ${name()}`}>
          <Show when={canPromote()}>
            <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(`${name()} is now a room admin.`, () => setMemberRole(p.room.id, p.m.userId, "admin"))}>
              Make admin
            </button>
          </Show>
          <Show when={canDemote()}>
            <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(`${name()} is now a member.`, () => setMemberRole(p.room.id, p.m.userId, "member"))}>
              Make member
            </button>
          </Show>
          <Show when={canHandOver()}>
            <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(`${name()} now owns #${p.room.name}.`, () => transferOwnership(p.room.id, p.m.userId), `Make ${name()} the owner of #${p.room.name}? You will become a room admin.`)}>
              Make owner
            </button>
          </Show>
        </div>
      </Show>
      <Show when={other()}>
        <div class="member-actions" role="group" aria-label={`Person ${name()}`}>
          <Show
            when={isBlocked(p.m.userId)}
            fallback={
              <button type="button" class="btn sm" disabled={busy() || !users[p.m.userId]} onClick={() => void act(`Blocked ${name()}.`, () => blockUser(users[p.m.userId]), `Block ${name()}? They can't message you directly, and their messages collapse here.`)}>
                Block
              </button>
            }
          >
            <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(`Unblocked ${name()}.`, () => unblockUser(p.m.userId))}>
              Unblock
            </button>
          </Show>
        </div>
      </Show>
      <Show when={p.canAct}>
        <div class="member-actions" role="group" aria-label={`Moderate ${name()}`}>
          <Show
            when={muted()}
            fallback={
              <select
                aria-label={`Mute ${name()}`}
                disabled={busy()}
                onChange={(e) => {
                  const sec = Number(e.currentTarget.value);
                  e.currentTarget.value = "";
                  if (sec) void act(`${name()} is muted.`, () => silence(p.room.id, p.m.userId, sec));
                }}
              >
                <option value="">Mute…</option>
                <For each={MUTES}>{(o) => <option value={o.sec}>{o.label}</option>}</For>
              </select>
            }
          >
            <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(`${name()} can talk again.`, () => silence(p.room.id, p.m.userId, 0))}>
              Unmute
            </button>
          </Show>
          <button type="button" class="btn sm" disabled={busy()} onClick={() => void act(`Removed ${name()}.`, () => kick(p.room.id, p.m.userId), `Remove ${name()} from #${p.room.name}? They can rejoin a public room.`)}>
            Remove
          </button>
          <button type="button" class="btn sm danger" disabled={busy()} onClick={() => void act(`Banned ${name()}.`, () => ban(p.room.id, p.m.userId), `Ban ${name()} from #${p.room.name}? They won't be able to rejoin.`)}>
            Ban
          </button>
        </div>
      </Show>
    </li>
  );
}

export function MembersDialog(p: { room: Room; onClose: () => void }) {
  void loadMembers(p.room.id, true);
  const myRole = () => p.room.role ?? "member";
  const canAct = (m: MemberInfo) =>
    m.userId !== me()?.id && m.role !== "owner" && (myRole() === "owner" || (myRole() === "admin" && m.role === "member"));
  const sorted = createMemo(() =>
    memberList(p.room.id).sort((a, b) => RANK[a.role] - RANK[b.role] || displayName(a.userId).localeCompare(displayName(b.userId))),
  );
  return (
    <Modal title={`Members of #${p.room.name}`} wide onClose={p.onClose}>
      <ul class="member-list" aria-label="Members">
        <For each={sorted()} fallback={<li class="muted pad">Loading members…</li>}>
          {(m) => <MemberRow room={p.room} m={m} canAct={canAct(m)} myRole={myRole()} />}
        </For>
      </ul>
    </Modal>
  );
}

export function RoomSettingsDialog(p: { room: Room; onClose: () => void }) {
  const [name, setName] = createSignal(p.room.name);
  const [topic, setTopic] = createSignal(p.room.topic ?? "");
  const [slow, setSlow] = createSignal(p.room.slowModeSec ?? 0);
  const [ttl, setTtl] = createSignal(p.room.messageTtlSec ?? 0);
  const [custom, setCustom] = createSignal(!TTL_PRESETS.includes(p.room.messageTtlSec ?? 0));
  const initialTtl = p.room.messageTtlSec ?? 0;
  const [unit, setUnit] = createSignal(initialTtl % DAY === 0 ? DAY : initialTtl % 3600 === 0 ? 3600 : 60);
  const canTtl = () => p.room.role === "owner" || p.room.role === "admin";
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const slowText = (s: number) => (s === 0 ? "Off" : s < 60 ? `${s} seconds` : s < 3600 ? `${s / 60} minute${s === 60 ? "" : "s"}` : "1 hour");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!name().trim()) return setError("The room needs a name.");
    const patch: { name?: string; topic?: string; slowModeSec?: number; messageTtlSec?: number } = {};
    if (!Number.isInteger(ttl()) || ttl() < 0 || (ttl() > 0 && ttl() < 60)) return setError("Messages can expire after one minute at the soonest.");
    if (ttl() !== (p.room.messageTtlSec ?? 0)) patch.messageTtlSec = ttl();
    if (name().trim() !== p.room.name) patch.name = name().trim();
    if (topic().trim() !== (p.room.topic ?? "")) patch.topic = topic().trim();
    if (slow() !== (p.room.slowModeSec ?? 0)) patch.slowModeSec = slow();
    if (!Object.keys(patch).length) return p.onClose();
    setBusy(true);
    setError("");
    try {
      await saveRoomSettings(p.room, patch);
      toast("Room settings saved.");
      p.onClose();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="Room settings" onClose={p.onClose}>
      <form class="stack" onSubmit={submit}>
        <label>
          <span>Name</span>
          <input name="name" maxLength={64} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          <span>Topic</span>
          <input name="topic" maxLength={256} placeholder="What is this room about?" value={topic()} onInput={(e) => setTopic(e.currentTarget.value)} />
        </label>
        <label>
          <span>Slow mode</span>
          <select name="slowMode" value={String(slow())} onChange={(e) => setSlow(Number(e.currentTarget.value))}>
            <For each={SLOW_MODES}>{(s) => <option value={s}>{s ? `One message every ${slowText(s)}` : "Off"}</option>}</For>
          </select>
          <em class="muted">Members can send one message per interval; admins are exempt.</em>
        </label>
        <Show when={canTtl()}>
          <label>
            <span>Expiring messages</span>
            <select
              name="messageTtl"
              value={custom() ? "custom" : String(ttl())}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setCustom(v === "custom");
                if (v !== "custom") setTtl(Number(v));
              }}
            >
              <For each={TTL_PRESETS}>{(s) => <option value={s}>{s ? `Delete after ${ttlLabel(s)}` : "Off"}</option>}</For>
              <option value="custom">Custom…</option>
            </select>
            <em class="muted">Messages older than this are deleted for everyone, with their files.</em>
          </label>
          <Show when={custom()}>
            <div class="row-fields">
              <label>
                <span>Delete after</span>
                <input name="messageTtlAmount" type="number" min="1" step="1" value={untrack(ttl) ? Math.max(1, Math.round(untrack(ttl) / unit())) : ""} onInput={(e) => setTtl(Math.round(Number(e.currentTarget.value)) * unit())} />
              </label>
              <label>
                <span>Unit</span>
                <select name="messageTtlUnit" value={String(unit())} onChange={(e) => { const n = Math.round(ttl() / unit()); setUnit(Number(e.currentTarget.value)); setTtl(n * unit()); }}>
                  <option value="60">minutes</option>
                  <option value="3600">hours</option>
                  <option value={DAY}>days</option>
                </select>
              </label>
            </div>
          </Show>
        </Show>
        <div class="form-error" role="alert">{error()}</div>
        <div class="actions">
          <button type="button" class="btn" onClick={p.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy()}>Save</button>
        </div>
      </form>
    </Modal>
  );
}
