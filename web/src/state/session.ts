// Signed-in user: register / log in / log out, and starting or stopping the realtime sync.
import { createSignal } from "solid-js";
import type { Room } from "../../../server/protocol/types";
import { api, getSession, onSession, request, setSession, type EndReason, type Session } from "../lib/api";
import { forgetDelivered } from "./activity";
import { clearBlocks, loadBlocks } from "./blocks";
import { me, setMe } from "./me";
import { forgetMembers } from "./members";
import { clearOutbox, loadOutbox } from "./outbox";
import { checkPush } from "./push";
import { clearRooms, setAllRooms } from "./rooms";
import { inviteCode, navigate, setInviteCode } from "./route";
import { startSync, stopSync } from "./sync";
import { clearTimelines } from "./timeline";
import { clearStaged } from "./uploads";
import { rememberUser, resetUsers } from "./users";

export { me };

/** Why we were signed out without asking, for the sign-in screen ("" when nothing to say). */
const [endReason, setEndReason] = createSignal<EndReason>("");
export { endReason };

let running = false;

function begin(s: Session): void {
  setEndReason("");
  setMe(s.user);
  rememberUser(s.user);
  if (running) return;
  running = true;
  // An invite link opened while signed in has nothing to do: show the app at "/".
  if (inviteCode()) {
    setInviteCode(null);
    navigate(null, true);
  }
  loadOutbox(s.user.id);
  startSync();
  void checkPush();
  void loadBlocks().catch(() => undefined);
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
  clearBlocks();
  forgetDelivered();
  resetUsers();
}

onSession((s, why) => {
  if (s) return begin(s);
  if (running && why) setEndReason(why);
  end();
});

/** Resume a stored session on page load, or finish a single sign-on. */
export function boot(): void {
  const s = getSession();
  if (s) begin(s);
  void finishSso();
}

/** The error code a single sign-on came back with ("" when none), for the sign-in screen. */
const [ssoError, setSsoError] = createSignal("");
export { ssoError };

/**
 * Single sign-on comes back to `/#sso=<token>` (a refresh token that works once, for two minutes) or
 * `/#sso_error=<code>`. The fragment leaves the address bar and history at once; the token is traded
 * for a session like any refresh.
 */
async function finishSso(): Promise<void> {
  const hash = new URLSearchParams(location.hash.slice(1));
  const token = hash.get("sso");
  const error = hash.get("sso_error");
  if (token === null && error === null) return;
  history.replaceState(null, "", location.pathname + location.search);
  if (token === null) return void setSsoError(error || "unauthenticated");
  try {
    setSession(await request<Session>("POST", "/api/auth/refresh", { refreshToken: token }, false));
  } catch {
    setSsoError("unauthenticated");
  }
}

export async function login(username: string, password: string): Promise<void> {
  setSession(await api.login(username.trim().toLowerCase(), password));
}

/** Create an account; with an invite code, the new account lands in the (first) room the invite joined. */
export async function register(username: string, password: string, displayName?: string, inviteCode?: string): Promise<void> {
  setSession(await api.register(username.trim().toLowerCase(), password, displayName?.trim(), inviteCode || undefined));
  if (!inviteCode) return;
  setInviteCode(null);
  const { rooms } = await api.rooms().catch(() => ({ rooms: [] as Room[] }));
  setAllRooms(rooms);
  const first = rooms.find((r) => r.kind !== "dm");
  navigate(first?.id ?? null, true);
}

/** Set a new password with the one-time code an admin handed over; signs in (other sessions end). */
export async function redeemResetCode(code: string, newPassword: string): Promise<void> {
  setSession(await api.resetPassword(code.trim(), newPassword));
}

export async function logout(): Promise<void> {
  const s = getSession();
  clearOutbox();
  setSession(null);
  if (s) await api.logout(s.refreshToken).catch(() => undefined);
}
