// People we blocked (protocol 1.2): loaded once per session, changed over HTTP; their messages collapse in shared rooms.
import { createStore, reconcile } from "solid-js/store";
import type { User } from "../../../server/protocol/types";
import { api } from "../lib/api";
import { rememberUser } from "./users";

const [blocked, setBlocked] = createStore<Record<string, User>>({});
export { blocked };
let loaded: Promise<void> | undefined;

/** Read the block list (once; `force` reads it again). */
export function loadBlocks(force = false): Promise<void> {
  if (loaded && !force) return loaded;
  loaded = api
    .blocks()
    .then(({ blocks }) => {
      const next: Record<string, User> = {};
      for (const b of blocks) {
        rememberUser(b.user);
        next[b.user.id] = b.user;
      }
      setBlocked(reconcile(next));
    })
    .catch((e) => {
      loaded = undefined;
      throw e;
    });
  return loaded;
}

export const isBlocked = (userId: string) => !!blocked[userId];

export async function blockUser(user: User): Promise<void> {
  await api.block(user.id);
  setBlocked(user.id, user);
}

export async function unblockUser(userId: string): Promise<void> {
  await api.unblock(userId);
  setBlocked(userId, undefined!);
}

export function clearBlocks(): void {
  loaded = undefined;
  setBlocked(reconcile({}));
}
