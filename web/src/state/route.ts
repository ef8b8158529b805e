// Minimal path router: "/" (room list) and "/r/:roomId" (a conversation).
import { createSignal } from "solid-js";

function parse(): string | null {
  const m = /^\/r\/([^/]+)\/?$/.exec(location.pathname);
  return m ? decodeURIComponent(m[1]) : null;
}

const [currentRoom, setCurrentRoom] = createSignal<string | null>(parse());
export { currentRoom };

export function navigate(roomId: string | null, replace = false): void {
  const path = roomId ? `/r/${encodeURIComponent(roomId)}` : "/";
  if (location.pathname !== path) {
    if (replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
  }
  setCurrentRoom(roomId);
}

window.addEventListener("popstate", () => setCurrentRoom(parse()));

/** A message to scroll to and highlight once its room is shown (search results). */
const [focusTarget, setFocusTarget] = createSignal<{ room: string; seq: number } | null>(null);
export { focusTarget, setFocusTarget };

export function openMessage(room: string, seq: number): void {
  setFocusTarget({ room, seq });
  navigate(room);
}
