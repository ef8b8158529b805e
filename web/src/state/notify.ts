// Desktop notifications for mentions and DMs while the tab is hidden (best effort; silent in do-not-disturb).
import { createSignal } from "solid-js";
import { myStatus } from "./status";

const supported = typeof window !== "undefined" && "Notification" in window;
const [permission, setPermission] = createSignal<NotificationPermission | "unsupported">(
  supported ? Notification.permission : "unsupported",
);
export { permission as notifyPermission };

export async function askPermission(): Promise<NotificationPermission | "unsupported"> {
  if (!supported) return "unsupported";
  try {
    setPermission(await Notification.requestPermission());
  } catch {
    /* ignored */
  }
  return permission();
}

export function notify(title: string, body: string, onClick: () => void, tag = title): void {
  if (!supported || Notification.permission !== "granted" || document.visibilityState === "visible") return;
  if (myStatus() === "dnd") return;
  try {
    const n = new Notification(title, { body: body.slice(0, 180), tag, icon: "/favicon.svg" });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    /* some platforms only allow notifications from a service worker */
  }
}
