// Resync (Zulip's verify_action style): state a client builds from live and replayed events equals a fresh fetch.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RoomEvent } from "../protocol/types";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";

let s: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 } });
  [alice, bob, carol] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

interface Msg {
  body: string;
  deleted: boolean;
  edited: boolean;
  reactions: Record<string, string[]>;
}
interface State {
  name: string;
  topic: string;
  members: Set<string>;
  messages: Map<number, Msg>;
}

/** What a client does with each event; idempotent, so an event seen twice changes nothing. */
function apply(st: State, e: RoomEvent) {
  switch (e.kind) {
    case "message":
      st.messages.set(e.seq, { body: e.body, deleted: !!e.deleted, edited: e.editedAt !== undefined, reactions: structuredClone(e.reactions ?? {}) });
      break;
    case "edit": {
      const m = st.messages.get(e.msgSeq);
      if (m && !m.deleted) Object.assign(m, { body: e.body, edited: true });
      break;
    }
    case "delete": {
      const m = st.messages.get(e.msgSeq);
      if (m) Object.assign(m, { body: "", deleted: true, reactions: {} });
      break;
    }
    case "reaction": {
      const m = st.messages.get(e.msgSeq);
      if (!m || m.deleted) break;
      const who = new Set(m.reactions[e.emoji] ?? []);
      if (e.on) who.add(e.sender);
      else who.delete(e.sender);
      if (who.size) m.reactions[e.emoji] = [...who];
      else delete m.reactions[e.emoji];
      break;
    }
    case "member":
      if (e.change === "join" || e.change === "invite") st.members.add(e.userId);
      else if (e.change === "leave" || e.change === "kick" || e.change === "ban") st.members.delete(e.userId);
      break;
    case "room":
      if (e.name !== undefined) st.name = e.name;
      if (e.topic !== undefined) st.topic = e.topic;
      break;
  }
}

const normalize = (st: State) => ({
  name: st.name,
  topic: st.topic,
  members: [...st.members].sort(),
  messages: [...st.messages.entries()]
    .sort(([x], [y]) => x - y)
    .map(([seq, m]) => ({ seq, ...m, reactions: Object.fromEntries(Object.entries(m.reactions).map(([k, v]) => [k, [...v].sort()]).sort()) })),
});

async function fresh(room: string, who: Session): Promise<State> {
  const st: State = { name: "", topic: "", members: new Set(), messages: new Map() };
  const r = (await api(s.url, "GET", "/api/rooms", undefined, who.accessToken)).body.rooms.find((x: any) => x.id === room);
  st.name = r.name;
  st.topic = r.topic;
  for (const m of (await api(s.url, "GET", `/api/rooms/${room}/members`, undefined, who.accessToken)).body.members) st.members.add(m.user.id);
  let after = 0;
  for (;;) {
    const p = await api(s.url, "GET", `/api/rooms/${room}/messages?after=${after}&limit=200`, undefined, who.accessToken);
    for (const e of p.body.events) if (e.kind === "message") apply(st, e);
    if (!p.body.hasMore) break;
    after = p.body.events.at(-1).seq;
  }
  return st;
}

test("RESYNC-1 after a mixed sequence of actions, with a disconnect in the middle, live state equals fresh state", async () => {
  const room = await createRoom(s.url, alice, "public", "start");
  const a = await Client.connect(s, alice);
  let b = await Client.connect(s, bob);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  const seen = (c: Client) => c.events(room);
  const say = async (who: Client, body: string) => (await who.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body })).event.seq as number;

  const m1 = await say(a, "first");
  const m2 = await say(b, "second");
  const m3 = await say(a, "third");
  await b.request({ type: "react", room, msgSeq: m1, emoji: "👍", on: true });
  await a.request({ type: "edit", room, msgSeq: m1, body: "first (edited)" });
  // Bob drops; the room keeps moving.
  const before = Math.max(...seen(b).map((e) => e.seq));
  const bobSeen = seen(b);
  b.close();
  await b.closed;
  await a.request({ type: "react", room, msgSeq: m1, emoji: "🎉", on: true });
  await a.request({ type: "react", room, msgSeq: m3, emoji: "👀", on: true });
  await a.request({ type: "delete", room, msgSeq: m2 });
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, carol.accessToken);
  await api(s.url, "PATCH", `/api/rooms/${room}`, { topic: "after the drop", name: "renamed" }, alice.accessToken);
  const m4 = await say(a, "fourth");
  await a.request({ type: "edit", room, msgSeq: m4, body: "fourth (edited)" });
  await api(s.url, "POST", `/api/rooms/${room}/leave`, undefined, carol.accessToken);
  // Bob resumes, then more happens live.
  b = await Client.connect(s, bob, { [room]: before });
  await b.request({ type: "react", room, msgSeq: m1, emoji: "👍", on: false });
  const m5 = await say(b, "fifth");
  await a.request({ type: "react", room, msgSeq: m5, emoji: "❤️", on: true });
  const last = (await a.request({ type: "delete", room, msgSeq: m3 })).event.seq;
  await b.next((f) => f.type === "event" && f.event.seq === last);

  const live: State = { name: "start", topic: "", members: new Set(), messages: new Map() };
  const stream = [...bobSeen, ...seen(b)];
  const seqs = stream.map((e) => e.seq);
  expect(new Set(seqs).size).toBe(seqs.length); // no duplicates
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // in order
  // Bob joined at some seq; everything from there on arrived, gapless.
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
  // His view starts at his join: seed what came before from history, as the client does.
  const prior = await api(s.url, "GET", `/api/rooms/${room}/messages?before=${seqs[0]}&limit=200`, undefined, bob.accessToken);
  for (const e of [...prior.body.events, ...stream]) apply(live, e);
  expect(normalize(live)).toEqual(normalize(await fresh(room, bob)));
  a.close();
  b.close();
});
