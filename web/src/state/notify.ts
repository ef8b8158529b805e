// Desktop notifications for mentions and DMs while the tab is hidden (best effort).
import { createSignal } from "solid-js";

const supported = typeof window !== "undefined" && "Notification" in window;
const [permission, setPermission] = createSignal<NotificationPermission | "unsupported">(
  supported ? Notification.permission : "unsupported",
);
export { permission as notifyPermission };

export async function askPermission(): Promise<void> {
  if (!supported) return;
  try {
    setPermission(await Notification.requestPermission());
  } catch {
    /* ignored */
  }
}

export function notify(title: string, body: string, onClick: () => void): void {
  if (!supported || Notification.permission !== "granted" || document.visibilityState === "visible") return;
  try {
    const n = new Notification(title, { body: body.slice(0, 180), tag: title, icon: "/favicon.svg" });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    /* some platforms only allow notifications from a service worker */
  }
}
