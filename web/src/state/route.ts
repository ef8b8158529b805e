// Minimal path router: "/" (room list), "/r/:roomId" (a conversation), "/account", "/admin", and "/invite/:code" (sign-up with an invite).
import { createSignal } from "solid-js";

/** A page other than a conversation, shown in the main pane. */
export type Page = "account" | "admin";
type Where = { room: string | null; page: Page | null; invite: string | null };

const path = () => (typeof location === "undefined" ? "/" : location.pathname);

export function parsePath(p: string): Where {
  const room = /^\/r\/([^/]+)\/?$/.exec(p);
  const invite = /^\/invite\/([^/]+)\/?$/.exec(p);
  const page = /^\/(account|admin)\/?$/.exec(p);
  return {
    room: room ? decodeURIComponent(room[1]) : null,
    page: page ? (page[1] as Page) : null,
    invite: invite ? decodeURIComponent(invite[1]) : null,
  };
}

const first = parsePath(path());
const [currentRoom, setCurrentRoom] = createSignal<string | null>(first.room);
const [currentPage, setCurrentPage] = createSignal<Page | null>(first.page);
/** The invite code of an `/invite/<code>` link the page was opened with (kept until sign-up or dismissal). */
const [inviteCode, setInviteCode] = createSignal<string | null>(first.invite);
export { currentRoom, currentPage, inviteCode, setInviteCode };

function go(to: string, replace: boolean): void {
  if (path() === to) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
}

export function navigate(roomId: string | null, replace = false): void {
  go(roomId ? `/r/${encodeURIComponent(roomId)}` : "/", replace);
  setCurrentPage(null);
  setCurrentRoom(roomId);
}

/** Show the account settings or the administration screen. */
export function openPage(page: Page): void {
  go(`/${page}`, false);
  setCurrentRoom(null);
  setCurrentPage(page);
}

if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => {
    const w = parsePath(path());
    setCurrentRoom(w.room);
    setCurrentPage(w.page);
  });
}

/** A message to scroll to and highlight once its room is shown (search results). */
const [focusTarget, setFocusTarget] = createSignal<{ room: string; seq: number } | null>(null);
export { focusTarget, setFocusTarget };

export function openMessage(room: string, seq: number): void {
  setFocusTarget({ room, seq });
  navigate(room);
}
