// Invites: server admins make codes that let people register (and join rooms) under --registration invite.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { InviteRow, UserRow } from "../../ports/store";
import { isAdmin, requireMember } from "../rooms/service";

export const INVITE_DEFAULTS = { maxUses: 1, expiresInSec: 7 * 24 * 3600 };
export const INVITE_LIMITS = { maxUses: 1000, minExpiresSec: 60, maxExpiresSec: 30 * 24 * 3600, rooms: 20 };

/** An invite as the API shows it. */
export type InviteView = Omit<InviteRow, "createdAt" | "revokedAt" | "ip">;

const view = (i: InviteRow): InviteView => ({ code: i.code, maxUses: i.maxUses, uses: i.uses, expiresAt: i.expiresAt, rooms: i.rooms, createdBy: i.createdBy });

/** 32 random bytes, base64url: far more than the 128 bits the contract asks for. */
export const newInviteCode = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

export function requireServerAdmin(me: UserRow) {
  if (!me.isAdmin) throw new AppError("forbidden", "server admins only");
}

export function createInvites(ctx: Context) {
  const { store, clock } = ctx;
  const usable = (i: InviteRow | undefined): i is InviteRow => !!i && i.revokedAt === null && i.expiresAt > clock.now() && i.uses < i.maxUses;

  return {
    /** `me` is read from the store by the caller (authUser): isAdmin is never taken from a token. */
    async create(me: UserRow, input: { maxUses?: number; expiresInSec?: number; rooms?: string[] }): Promise<InviteView> {
      requireServerAdmin(me);
      const maxUses = input.maxUses ?? INVITE_DEFAULTS.maxUses;
      const expiresInSec = input.expiresInSec ?? INVITE_DEFAULTS.expiresInSec;
      const rooms = [...new Set(input.rooms ?? [])];
      if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > INVITE_LIMITS.maxUses) throw new AppError("invalid_request", `maxUses must be 1–${INVITE_LIMITS.maxUses}`);
      if (!Number.isInteger(expiresInSec) || expiresInSec < INVITE_LIMITS.minExpiresSec || expiresInSec > INVITE_LIMITS.maxExpiresSec) {
        throw new AppError("invalid_request", `expiresInSec must be ${INVITE_LIMITS.minExpiresSec}–${INVITE_LIMITS.maxExpiresSec}`);
      }
      if (rooms.length > INVITE_LIMITS.rooms) throw new AppError("invalid_request", `at most ${INVITE_LIMITS.rooms} rooms`);
      // Rooms the caller may add people to: public ones they are in, private ones they administer; never a DM.
      for (const id of rooms) {
        const { room, member } = await requireMember(ctx, id, me.id);
        if (room.kind === "dm" || (room.kind === "private" && !isAdmin(member.role))) throw new AppError("forbidden", "you cannot add people to this room");
      }
      const now = clock.now();
      const row: InviteRow = { code: newInviteCode(), maxUses, uses: 0, expiresAt: now + expiresInSec * 1000, rooms, createdBy: me.id, createdAt: now, revokedAt: null };
      await store.insertInvite(row);
      ctx.log.info("invite created", { by: me.id, maxUses, rooms: rooms.length });
      return view(row);
    },

    async list(me: UserRow): Promise<InviteView[]> {
      requireServerAdmin(me);
      return (await store.liveInvites(clock.now())).map(view);
    },

    async revoke(me: UserRow, code: string): Promise<void> {
      requireServerAdmin(me);
      if (!(await store.revokeInvite(code, clock.now()))) throw new AppError("not_found", "no such invite");
    },

    /** What the sign-up page shows of a usable invite; not_found for any other (no auth: the code is the secret). */
    async preview(code: string): Promise<{ expiresAt: number; rooms: { name: string }[] }> {
      const i = await store.inviteByCode(code);
      if (!usable(i)) throw new AppError("not_found", "no such invite");
      const rooms = (await Promise.all(i.rooms.map((id) => store.roomById(id)))).filter((r) => r !== undefined);
      return { expiresAt: i.expiresAt, rooms: rooms.map((r) => ({ name: r.name })) };
    },
  };
}

export type Invites = ReturnType<typeof createInvites>;
