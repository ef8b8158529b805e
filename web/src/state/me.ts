// The signed-in user's own profile: a signal the UI reads, kept in step with the stored session and with `user` frames.
import { createSignal } from "solid-js";
import type { User } from "../../../server/protocol/types";
import { getSession, setSession } from "../lib/api";
import { rememberUser } from "./users";

const [me, setMe] = createSignal<User | null>(getSession()?.user ?? null);
export { me, setMe };

/** A user object from the server (a `user` frame, PATCH /api/me, the avatar routes): remember it; if it is us, update the session too. */
export function applyUser(u: User): void {
  rememberUser(u);
  if (u.id !== me()?.id) return;
  setMe(u);
  const s = getSession();
  if (s) setSession({ ...s, user: u });
}
