// Your account: display name, avatar, sessions, and the people picker.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { User } from "../../protocol/types";
import type { UserRow } from "../../ports/store";
import { endSessions, publicUser } from "../auth/service";
import { publishUserSignal, userFrame } from "../../realtime/publish";
import { INLINE_TYPES, sniff } from "../uploads/sniff";

export const AVATAR_MAX_BYTES = 1024 * 1024;
const DISPLAY_NAME_MAX = 64;
const PICKER_MAX = 50;

export interface SessionView {
  id: string;
  current: boolean;
  createdAt: number;
  lastUsedAt: number;
  userAgent: string;
  ip: string;
}

export function createAccount(ctx: Context) {
  const { store, blobs, ids } = ctx;

  /** The changed profile to the user's own sockets and to everyone sharing a room with them, on every node. */
  async function announce(userId: string): Promise<User> {
    const row = await store.userById(userId);
    if (!row) throw new AppError("not_found", "no such user");
    const user = publicUser(row);
    const json = userFrame(user);
    for (const id of [userId, ...(await store.coMembers(userId))]) publishUserSignal(ctx.bus, id, json);
    return user;
  }

  return {
    async setDisplayName(me: UserRow, displayName: string | undefined): Promise<User> {
      if (displayName === undefined) return publicUser(me);
      const name = displayName.trim();
      if (!name || [...name].length > DISPLAY_NAME_MAX) throw new AppError("invalid_request", `displayName must be 1–${DISPLAY_NAME_MAX} characters`);
      await store.updateUser(me.id, { displayName: name });
      return announce(me.id);
    },

    /** png, jpeg, webp or gif by its bytes, at most AVATAR_MAX_BYTES; the old picture's bytes go. */
    async setAvatar(me: UserRow, file: File): Promise<User> {
      if (file.size > AVATAR_MAX_BYTES) throw new AppError("too_large", `an avatar is at most ${AVATAR_MAX_BYTES} bytes`);
      if (file.size === 0) throw new AppError("invalid_request", "file is empty");
      const bytes = new Uint8Array(await file.arrayBuffer());
      const mime = sniff(bytes);
      if (!mime || !INLINE_TYPES.has(mime)) throw new AppError("unsupported_type", "an avatar is a png, jpeg, webp or gif image");
      const id = ids.id();
      await blobs.put(id, bytes);
      await store.updateUser(me.id, { avatarId: id });
      await removeBlob(me.avatarId);
      return announce(me.id);
    },

    async removeAvatar(me: UserRow): Promise<User> {
      if (!me.avatarId) return publicUser(me);
      await store.updateUser(me.id, { avatarId: null });
      await removeBlob(me.avatarId);
      return announce(me.id);
    },

    /** The avatar of an active account: its bytes and type (sniffed again: the bytes are the truth). */
    async avatar(userId: string): Promise<{ bytes: Blob; mime: string }> {
      const u = await store.userById(userId);
      const bytes = u?.avatarId && !u.deactivatedAt ? await blobs.get(u.avatarId) : undefined;
      if (!bytes) throw new AppError("not_found", "no avatar");
      const mime = sniff(new Uint8Array(await bytes.slice(0, 64).arrayBuffer()));
      if (!mime || !INLINE_TYPES.has(mime)) throw new AppError("not_found", "no avatar");
      return { bytes, mime };
    },

    async sessions(me: UserRow, sid: string): Promise<SessionView[]> {
      return (await store.sessionsOf(me.id)).map((s) => ({ id: s.id, current: s.id === sid, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt, userAgent: s.userAgent, ip: s.ip }));
    },

    async endSession(me: UserRow, sessionId: string): Promise<void> {
      const ended = await endSessions(ctx, me.id, { only: sessionId });
      if (ended.length === 0) throw new AppError("not_found", "no such session");
    },

    /** Active accounts whose username or display name contains q. */
    async search(q: string, limit: number): Promise<User[]> {
      const rows = await store.listUsers({ search: q.trim() || undefined, activeOnly: true, limit: Math.min(Math.max(limit, 1), PICKER_MAX) });
      return rows.map(publicUser);
    },
  };

  async function removeBlob(id: string | null) {
    if (!id) return;
    try {
      await blobs.remove([id]);
    } catch (e) {
      ctx.log.warn("old avatar bytes not removed", { id, err: String(e) });
    }
  }
}

export type Account = ReturnType<typeof createAccount>;
