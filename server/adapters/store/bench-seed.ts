// Store benchmarks' common start: rooms room0..N-1, each with an owner u<room> and its member event.

import type { NewEvent, Store } from "../../ports/store";

/** Creates the rooms and their owners through the real append path; returns the room ids. */
export async function seedBenchRooms(store: Store, roomCount: number, now: number): Promise<string[]> {
  const rooms = Array.from({ length: roomCount }, (_, i) => `room${i}`);
  for (const id of rooms) {
    await store.insertUser({ id: "u" + id, username: "u" + id, displayName: "u", passwordHash: "x", isAdmin: false, deactivatedAt: null, createdAt: now, lastSeen: null, avatarId: null });
  }
  await store.append(rooms.map((id) => ({
    room: id, kind: "member", sender: "u" + id, ts: now, data: { userId: "u" + id, change: "join" },
    effects: [
      { type: "room.create", room: { id, name: id, kind: "public", topic: "", createdBy: "u" + id, createdAt: now, lastActivity: now, dmKey: null, slowModeSec: 0 } },
      { type: "member.add", userId: "u" + id, role: "owner" },
    ],
  }) as NewEvent));
  return rooms;
}
