// Signed-in user: register / log in / log out, and starting or stopping the realtime sync.
import { createSignal } from "solid-js";
import type { User } from "../../../server/protocol/types";
import { api, getSession, onSession, setSession, type Session } from "../lib/api";
import { forgetMembers } from "./members";
import { clearOutbox, loadOutbox } from "./outbox";
import { checkPush } from "./push";
import { clearRooms } from "./rooms";
import { startSync, stopSync } from "./sync";
import { clearTimelines } from "./timeline";
import { clearStaged } from "./uploads";
import { rememberUser, resetUsers } from "./users";

const [me, setMe] = createSignal<User | null>(getSession()?.user ?? null);
export { me };

let running = false;

function begin(s: Session): void {
  setMe(s.user);
  rememberUser(s.user);
  if (running) return;
  running = true;
  loadOutbox(s.user.id);
  startSync();
  void checkPush();
}

function end(): void {
  setMe(null);
  if (!running) return;
  running = false;
  stopSync();
  clearTimelines();
  clearRooms();
  clearStaged();
  forgetMembers();
  resetUsers();
}

onSession((s) => (s ? begin(s) : end()));

/** Resume a stored session on page load. */
export function boot(): void {
  const s = getSession();
  if (s) begin(s);
}

export async function login(username: string, password: string): Promise<void> {
  setSession(await api.login(username.trim().toLowerCase(), password));
}

export async function register(username: string, password: string, displayName?: string): Promise<void> {
  setSession(await api.register(username.trim().toLowerCase(), password, displayName?.trim()));
}

export async function logout(): Promise<void> {
  const s = getSession();
  clearOutbox();
  setSession(null);
  if (s) await api.logout(s.refreshToken).catch(() => undefined);
}

export function updateMe(u: User): void {
  const s = getSession();
  rememberUser(u);
  setMe(u);
  if (s && (s.user.displayName !== u.displayName || s.user.username !== u.username)) setSession({ ...s, user: u });
}
