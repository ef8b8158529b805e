// Sidebar footer: who you are, your status (online / away / do not disturb) and the way to account settings and administration (admins), notifications (desktop + Web Push), log out.
import { createSignal, For, onCleanup, Show } from "solid-js";
import { logout, me } from "../../state/session";
import { notifyPermission, askPermission } from "../../state/notify";
import { enablePush, pushError, pushState } from "../../state/push";
import { myStatus, setMyStatus, STATUS_LABEL, type MyStatus } from "../../state/status";
import { displayName } from "../../state/users";
import { Avatar, PresenceDot } from "../../ui/Avatar";
import { IconBell, IconBellOff, IconLogout, IconSettings, IconShield } from "../../ui/icons";
import { currentPage, openPage } from "../../state/route";
import { toast } from "../../ui/Toast";

const STATUSES: MyStatus[] = ["online", "away", "dnd"];

function StatusMenu() {
  const [open, setOpen] = createSignal(false);
  let wrap!: HTMLDivElement;
  const away = (e: MouseEvent) => open() && !wrap.contains(e.target as Node) && setOpen(false);
  document.addEventListener("mousedown", away);
  onCleanup(() => document.removeEventListener("mousedown", away));
  const u = () => me()!;
  return (
    <div class="status-wrap" ref={wrap}>
      <button
        type="button"
        class="me-btn"
        aria-haspopup="menu"
        aria-expanded={open()}
        aria-label={`Your status: ${STATUS_LABEL[myStatus()]}. Change status`}
        onClick={() => setOpen(!open())}
      >
        <Avatar name={displayName(u().id) || u().username} seed={u().id} size={32} status={myStatus()} />
        <span class="me">
          <strong>{u().displayName || u().username}</strong>
          <span class="muted">{myStatus() === "online" ? `@${u().username}` : STATUS_LABEL[myStatus()]}</span>
        </span>
      </button>
      <Show when={open()}>
        <div class="status-menu" role="menu" aria-label="Set your status" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          <For each={STATUSES}>
            {(s) => (
              <button
                type="button"
                role="menuitemradio"
                aria-checked={myStatus() === s}
                onClick={() => {
                  setMyStatus(s);
                  setOpen(false);
                }}
              >
                <PresenceDot status={s} /> {STATUS_LABEL[s]}
                <Show when={s === "dnd"}><small class="muted">No desktop notifications</small></Show>
              </button>
            )}
          </For>
          <hr />
          <button type="button" role="menuitem" onClick={() => (setOpen(false), openPage("account"))}>
            <IconSettings /> Account settings
          </button>
          <Show when={u().isAdmin}>
            <button type="button" role="menuitem" onClick={() => (setOpen(false), openPage("admin"))}>
              <IconShield /> Administration
            </button>
          </Show>
        </div>
      </Show>
    </div>
  );
}

function NotifyButton() {
  const push = () => pushState();
  const enable = async () => {
    if (push() === "unsupported") {
      await askPermission();
      if (notifyPermission() === "granted") toast("Desktop notifications are on while Parley is open.");
      return;
    }
    await enablePush();
    if (pushState() === "on") toast("Notifications are on, even when Parley is closed.");
    else if (pushState() === "denied") toast("Notifications are blocked in your browser settings.");
    else if (pushState() === "error") toast(`Couldn't turn on push notifications: ${pushError()}`);
  };
  const on = () => push() === "on" || (push() === "unsupported" && notifyPermission() === "granted");
  const blocked = () => push() === "denied" || notifyPermission() === "denied";
  return (
    <Show when={!on()}>
      <button
        type="button"
        class="icon-btn"
        aria-label={blocked() ? "Notifications are blocked" : "Enable notifications"}
        title={blocked() ? "Notifications are blocked in your browser settings" : "Enable notifications"}
        disabled={push() === "working"}
        onClick={() => void enable()}
      >
        <Show when={blocked()} fallback={<IconBell />}>
          <IconBellOff />
        </Show>
      </button>
    </Show>
  );
}

export function SideFoot() {
  return (
    <footer class="side-foot">
      <Show when={me()}>
        <StatusMenu />
      </Show>
      <NotifyButton />
      <button type="button" class="icon-btn" classList={{ on: currentPage() === "account" }} aria-label="Account settings" title="Account settings" onClick={() => openPage("account")}>
        <IconSettings />
      </button>
      <button type="button" class="icon-btn" aria-label="Log out" title="Log out" onClick={() => void logout()}>
        <IconLogout />
      </button>
    </footer>
  );
}
