// Our own presence status (online / away / dnd): chosen in the sidebar, remembered per browser, re-announced after every welcome.
import { createSignal } from "solid-js";
import { send } from "../lib/socket";

export type MyStatus = "online" | "away" | "dnd";
const KEY = "parley.status";
const stored = (typeof localStorage !== "undefined" && localStorage.getItem(KEY)) as MyStatus | null;
const [myStatus, setMy] = createSignal<MyStatus>(stored === "away" || stored === "dnd" ? stored : "online");
export { myStatus };

export function setMyStatus(s: MyStatus): void {
  setMy(s);
  if (s === "online") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, s);
  send({ type: "presence", status: s });
}

/** After (re)connecting the server assumes online; tell it otherwise. */
export function announceStatus(): void {
  if (myStatus() !== "online") send({ type: "presence", status: myStatus() });
}

export const STATUS_LABEL: Record<MyStatus, string> = { online: "Online", away: "Away", dnd: "Do not disturb" };
