// Moderation by room admins: ban/unban, mute for a duration, slow mode, name and topic; notification mute.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { Room } from "../../protocol/types";
import type { Effect } from "../../ports/store";
import { isAdmin, memberEvent, requireMember, roomView } from "../rooms/service";
import { policyChanged } from "../../realtime/publish";

const SLOW_MODE_MAX_SEC = 3600;
/** Expiring messages: off (0), or from a minute to a year. */
const MESSAGE_TTL_MIN_SEC = 60;
const MESSAGE_TTL_MAX_SEC = 365 * 86_400;
const MUTE_MAX_SEC = 30 * 24 * 3600;

export function createModeration(ctx: Context) {
  const { store, writer, clock } = ctx;

  async function requireAdmin(roomId: string, me: string) {
    const { room, member } = await requireMember(ctx, roomId, me);
    if (!isAdmin(member.role)) throw new AppError("forbidden", "only room admins can do this");
    if (room.kind === "dm") throw new AppError("forbidden", "direct messages have no moderation");
    return { room, member };
  }

  /** Admins act on members, owners on admins too; nobody acts on the owner. */
  async function outranks(roomId: string, me: { role: string }, userId: string) {
    const t = await store.member(roomId, userId);
    if (t && (t.role === "owner" || (t.role === "admin" && me.role !== "owner"))) throw new AppError("forbidden", "cannot moderate this member");
    return t;
  }

  return {
    async ban(me: string, roomId: string, userId: string): Promise<void> {
      const { member } = await requireAdmin(roomId, me);
      if (userId === me) throw new AppError("invalid_request", "you cannot ban yourself");
      const target = await outranks(roomId, member, userId);
      if (!(await store.userById(userId))) throw new AppError("not_found", "no such user");
      if (await store.isBanned(roomId, userId)) throw new AppError("conflict", "already banned");
      const effects: Effect[] = [{ type: "ban.add", userId, by: me }];
      if (target) effects.unshift({ type: "member.remove", userId });
      await writer.append(memberEvent(ctx, roomId, me, userId, "ban", effects));
    },

    async unban(me: string, roomId: string, userId: string): Promise<void> {
      await requireAdmin(roomId, me);
      if (!(await store.isBanned(roomId, userId))) throw new AppError("not_found", "not banned");
      await writer.append(memberEvent(ctx, roomId, me, userId, "unban", [{ type: "ban.remove", userId }]));
    },

    /** Muted members cannot send until the time is up; 0 seconds lifts the mute. */
    async mute(me: string, roomId: string, userId: string, seconds: number): Promise<void> {
      const { member } = await requireAdmin(roomId, me);
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > MUTE_MAX_SEC) throw new AppError("invalid_request", `seconds must be 0–${MUTE_MAX_SEC}`);
      const target = await outranks(roomId, member, userId);
      if (!target) throw new AppError("not_found", "not a member");
      const until = seconds === 0 ? null : clock.now() + seconds * 1000;
      await store.setMemberFlags(roomId, userId, { silencedUntil: until });
      policyChanged(ctx.bus, roomId); // before the mute event: a node that shows the event enforces the mute
      await writer.append(memberEvent(ctx, roomId, me, userId, "mute", [], { until }));
    },

    async update(me: string, roomId: string, patch: { name?: string; topic?: string; slowModeSec?: number; messageTtlSec?: number }): Promise<Room> {
      const { room } = await requireAdmin(roomId, me);
      const change: { name?: string; topic?: string; slowModeSec?: number; messageTtlSec?: number } = {};
      if (patch.name !== undefined) {
        const name = patch.name.trim();
        if (!name || name.length > 80) throw new AppError("invalid_request", "name must be 1–80 characters");
        change.name = name;
      }
      if (patch.topic !== undefined) {
        if (patch.topic.length > 500) throw new AppError("invalid_request", "topic must be at most 500 characters");
        change.topic = patch.topic.trim();
      }
      if (patch.slowModeSec !== undefined) {
        if (!Number.isInteger(patch.slowModeSec) || patch.slowModeSec < 0 || patch.slowModeSec > SLOW_MODE_MAX_SEC) {
          throw new AppError("invalid_request", `slowModeSec must be 0–${SLOW_MODE_MAX_SEC}`);
        }
        change.slowModeSec = patch.slowModeSec;
      }
      if (patch.messageTtlSec !== undefined) {
        const t = patch.messageTtlSec;
        if (!Number.isInteger(t) || (t !== 0 && (t < MESSAGE_TTL_MIN_SEC || t > MESSAGE_TTL_MAX_SEC))) {
          throw new AppError("invalid_request", `messageTtlSec must be 0 (off) or ${MESSAGE_TTL_MIN_SEC}–${MESSAGE_TTL_MAX_SEC}`);
        }
        change.messageTtlSec = t;
      }
      if (Object.keys(change).length === 0) throw new AppError("invalid_request", "nothing to change");
      const w = await writer.append({ room: roomId, kind: "room", sender: me, ts: clock.now(), data: change, effects: [{ type: "room.update", ...change }] });
      // The new slow mode is stored with this event, so the drop goes out just after it (a send racing it may pass once).
      if (change.slowModeSec !== undefined) policyChanged(ctx.bus, roomId);
      return roomView({ ...room, ...change, lastSeq: w.event.seq });
    },

    async muteNotifications(me: string, roomId: string, muted: boolean): Promise<void> {
      await requireMember(ctx, roomId, me);
      await store.setMemberFlags(roomId, me, { notificationsMuted: muted });
    },
  };
}

export type Moderation = ReturnType<typeof createModeration>;
