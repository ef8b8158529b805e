// Unread on the app icon (Badging API where the platform has it) and in the window title (always).
import { createEffect, createSignal } from "solid-js";
import { currentRoom } from "../../state/route";
import { sortedRooms } from "../../state/rooms";
import { me } from "../../state/session";
import { titleFor } from "./text";

type Badging = { setAppBadge?(n?: number): Promise<void>; clearAppBadge?(): Promise<void> };

/** Follow the total unread count. The open room counts only while the window is hidden (it is being read otherwise). */
export function trackUnread(): void {
  const [visible, setVisible] = createSignal(document.visibilityState === "visible");
  document.addEventListener("visibilitychange", () => setVisible(document.visibilityState === "visible"));
  const nav = navigator as Navigator & Badging;
  let shown = -1;
  createEffect(() => {
    const open = visible() ? currentRoom() : null;
    const n = me() ? sortedRooms().reduce((sum, r) => sum + (r.id === open ? 0 : (r.unread ?? 0)), 0) : 0;
    document.title = titleFor(n);
    if (n === shown || !nav.setAppBadge || !nav.clearAppBadge) return;
    shown = n;
    // The platform draws the number (Windows caps it at 99+, Android shows a dot); the title uses the sidebar's cap.
    void (n ? nav.setAppBadge(n) : nav.clearAppBadge()).catch(() => undefined);
  });
}
