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
