// No ack without a commit (docs/reliability.md): the store is made to fail under the server — the
// data directory's file system filled up, the data directory made read-only, or PostgreSQL stopped —
// and every send must get an error, never an ok, and stay absent afterwards; when the store is back
// the server recovers by itself.

import { SQL, type Subprocess } from "bun";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { freePort, until } from "../test/cluster";
import { tempDir, type Session } from "../test/harness";
import { ChatClient, loadAverage, serverProc, storedEvents, users } from "./kit";

/** One user in one room of the server, connected (welcomed); the client joins `clients` (closed by the caller). */
async function oneClient(srv: { url: string; wsUrl: string }, clients: ChatClient[]): Promise<{ room: string; client: ChatClient }> {
  const { sessions, rooms } = await users(srv.url, 1, 1);
  const client = new ChatClient(srv.wsUrl, sessions[0] as Session);
  clients.push(client);
  client.start();
  await until("welcome", () => client.connected);
  return { room: rooms[0], client };
}

/** Sends one message and waits for its ok or error: "ok" with the seq, or the error's code. */
function trySend(c: ChatClient, room: string, cmid: string, body: string): Promise<{ ok: true; seq: number } | { ok: false; code: string }> {
  return new Promise((resolve, reject) => {
    const done = () => (clearTimeout(t), off());
    const t = setTimeout(() => (off(), reject(new Error(`no answer to ${cmid}`))), 30_000);
    const off = c.onFrame((f) => {
      if (f.id !== cmid) return;
      if (f.type === "ok") (done(), resolve({ ok: true, seq: f.event.seq }));
      else if (f.type === "error") (done(), resolve({ ok: false, code: f.code }));
    });
    if (!c.send({ type: "send", id: cmid, room, clientMsgId: cmid, body })) (done(), resolve({ ok: false, code: "not connected" }));
  });
}

interface Ledger {
  oks: Map<string, number>;
  errors: Map<string, string>;
}

async function sendPhase(c: ChatClient, room: string, tag: string, ledger: Ledger, until: (r: { ok: boolean }) => boolean, max: number, body: string) {
  for (let i = 0; i < max; i++) {
    const cmid = `${tag}-${i}`;
    const r = await trySend(c, room, cmid, body);
    if (r.ok) ledger.oks.set(cmid, r.seq);
    else ledger.errors.set(cmid, r.code);
    if (until(r)) return i + 1;
  }
  throw new Error(`${tag}: the condition did not come within ${max} sends (oks ${ledger.oks.size}, errors ${ledger.errors.size})`);
}

export interface FaultFigures {
  what: string;
  oksBefore: number;
  sendsWhileFailing: number;
  errorsByCode: Record<string, number>;
  oksWhileFailing: number;
  sendsToRecover: number;
  oksAfter: number;
  ackedMissing: number;
  ackSeqMismatch: number;
  erroredButStored: number;
  seqHoles: number;
  loadAverage: string;
  notes: string[];
}

/**
 * The data directory on a tmpfs of its own (root only: `mount -t tmpfs`), filled with a file
 * until ENOSPC while a client sends 4 KB messages; then the file is removed.
 */
export async function runDiskFull(o: { sizeMiB?: number } = {}): Promise<FaultFigures> {
  if (process.getuid?.() !== 0) throw new Error("the full-disk run mounts a tmpfs: it needs root");
  const mnt = tempDir("parley-full-");
  const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=${o.sizeMiB ?? 24}m,mode=0700`, "tmpfs", mnt]);
  if (mount.exitCode !== 0) throw new Error(`mount -t tmpfs failed: ${mount.stderr.toString()}`);
  const data = join(mnt, "data");
  const filler = join(mnt, "filler");
  const srv = await serverProc({ dataDir: data });
  const notes: string[] = [];
  const c: ChatClient[] = [];
  try {
    const { room, client } = await oneClient(srv, c);
    const body = "y".repeat(4000);
    const before: Ledger = { oks: new Map(), errors: new Map() };
    await sendPhase(client, room, "before", before, () => false, 20, body).catch(() => undefined);
    // Fill the file system.
    const fd = openSync(filler, "w");
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
    } finally {
      closeSync(fd);
    }
    // Send until five errors in a row: the WAL's pages already on disk are reused first.
    const failing: Ledger = { oks: new Map(), errors: new Map() };
    let streak = 0;
    const sends = await sendPhase(client, room, "full", failing, (r) => ((streak = r.ok ? 0 : streak + 1), streak >= 5), 5_000, body);
    rmSync(filler);
    const after: Ledger = { oks: new Map(), errors: new Map() };
    const toRecover = await sendPhase(client, room, "after", after, (r) => r.ok, 1_000, body);
    await sendPhase(client, room, "after-more", after, () => false, 20, body).catch(() => undefined);
    client.stop();
    const code = await srv.stop();
    if (code !== 0) notes.push(`the stop after the fault exited ${code}`);
    return { what: `libSQL on a ${o.sizeMiB ?? 24} MiB tmpfs filled to ENOSPC`, ...verdict(data, room, [before, failing, after], failing, sends, toRecover, notes) };
  } finally {
    for (const x of c) x.stop();
    await srv.dispose();
    Bun.spawnSync(["umount", "-l", mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

/** Runs a command of the run's own set-up (mount, mkfs, chattr); throws with its output when it fails. */
function run(cmd: string[]) {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}${r.stdout.toString()}`);
}

/**
 * The data directory made read-only under the running server, mid-traffic, then writable again.
 * `mount -o remount,ro` is refused (EBUSY) while the database is open for writing, and tmpfs takes
 * `chattr +i` but still lets open files be written; ext4 refuses every write to an immutable file,
 * through descriptors already open too, and to root. So: ext4 in an image file of the run's own on a
 * loop device (root only), and `chattr +i` on the data directory (nothing created, renamed or
 * removed in it) and on the database and its WAL. The `-shm` index stays writable: SQLite writes it
 * through a shared memory mapping, where a refused write is a SIGBUS, not an error.
 */
export async function runReadOnly(o: { log?: (s: string) => void } = {}): Promise<FaultFigures> {
  if (process.getuid?.() !== 0) throw new Error("the read-only run mounts an ext4 image and sets the immutable flag: it needs root");
  const log = o.log ?? (() => undefined);
  const dir = tempDir("parley-ro-");
  const image = join(dir, "fs.img");
  const mnt = join(dir, "mnt");
  writeFileSync(image, "");
  truncateSync(image, 64 * 1024 * 1024);
  run(["mkfs.ext4", "-q", "-F", image]);
  mkdirSync(mnt);
  run(["mount", "-o", "loop", image, mnt]);
  const data = join(mnt, "data");
  const frozen = () => [data, ...["parley.db", "parley.db-wal"].map((f) => join(data, f)).filter((f) => existsSync(f))];
  const notes: string[] = [];
  const c: ChatClient[] = [];
  let srv: Awaited<ReturnType<typeof serverProc>> | undefined;
  try {
    srv = await serverProc({ dataDir: data });
    const { room, client } = await oneClient(srv, c);
    const body = "ro ".repeat(100);
    const before: Ledger = { oks: new Map(), errors: new Map() };
    // Traffic running when the directory turns read-only: a send in flight then gets an ok or an error.
    let frozenNow = false;
    const freezing = Bun.sleep(300).then(() => {
      run(["chattr", "+i", ...frozen()]);
      frozenNow = true;
    });
    let i = 0;
    while (!frozenNow) {
      const cmid = `before-${i++}`;
      const r = await trySend(client, room, cmid, body);
      if (r.ok) before.oks.set(cmid, r.seq);
      else before.errors.set(cmid, r.code);
    }
    await freezing;
    log(`read-only after ${before.oks.size} oks`);
    const failing: Ledger = { oks: new Map(), errors: new Map() };
    const sends = await sendPhase(client, room, "ro", failing, () => failing.oks.size + failing.errors.size >= 20, 20, body);
    run(["chattr", "-i", ...frozen()]);
    log(`${failing.errors.size} errors while read-only; writable again`);
    const after: Ledger = { oks: new Map(), errors: new Map() };
    const toRecover = await sendPhase(client, room, "after", after, (r) => r.ok, 1_000, body);
    await sendPhase(client, room, "after-more", after, () => false, 20, body).catch(() => undefined);
    client.stop();
    const code = await srv.stop();
    if (code !== 0) notes.push(`the stop after the fault exited ${code}`);
    return {
      what: "libSQL, the data directory made read-only (ext4, chattr +i on it, parley.db and parley.db-wal) mid-traffic, then writable",
      ...verdict(data, room, [before, failing, after], failing, sends, toRecover, [...notes, `${before.oks.size} oks and ${before.errors.size} errors while it was turning read-only`]),
    };
  } finally {
    for (const x of c) x.stop();
    Bun.spawnSync(["chattr", "-i", ...frozen()]);
    await srv?.dispose();
    Bun.spawnSync(["umount", "-l", mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function verdict(data: string, room: string, ledgers: Ledger[], failing: Ledger, sends: number, toRecover: number, notes: string[], stored?: Map<string, number>) {
  const rows = stored ?? new Map((storedEvents(data, [room]).get(room) ?? []).filter((e) => e.clientMsgId).map((e) => [e.clientMsgId!, e.seq]));
  return fromRows(rows, ledgers, failing, sends, toRecover, notes);
}

function fromRows(rows: Map<string, number>, ledgers: Ledger[], failing: Ledger, sends: number, toRecover: number, notes: string[]) {
  let ackedMissing = 0, ackSeqMismatch = 0, erroredButStored = 0;
  for (const l of ledgers) {
    for (const [cmid, seq] of l.oks) {
      if (!rows.has(cmid)) ackedMissing++;
      else if (rows.get(cmid) !== seq) ackSeqMismatch++;
    }
    for (const cmid of l.errors.keys()) if (rows.has(cmid)) erroredButStored++;
  }
  const seqs = [...rows.values()].sort((a, b) => a - b);
  const seqHoles = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1] + 1).length;
  const errorsByCode: Record<string, number> = {};
  for (const code of failing.errors.values()) errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
  return {
    oksBefore: ledgers[0].oks.size, sendsWhileFailing: sends, errorsByCode, oksWhileFailing: failing.oks.size,
    sendsToRecover: toRecover, oksAfter: ledgers[2].oks.size, ackedMissing, ackSeqMismatch, erroredButStored, seqHoles,
    loadAverage: loadAverage(), notes,
  };
}

/** PostgreSQL binaries of the installed server (initdb, postgres), newest version first. */
function pgBin(name: string): string {
  const base = "/usr/lib/postgresql";
  const versions = (() => {
    try {
      return readdirSync(base).sort((a, b) => Number(b) - Number(a));
    } catch {
      return [];
    }
  })();
  if (versions.length === 0) throw new Error("PostgreSQL's server binaries are needed (initdb, postgres): none installed");
  return join(base, versions[0], "bin", name);
}

/** A PostgreSQL instance of our own on its own port (as the postgres user when we are root), to stop and start at will. */
async function ownPostgres(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void>; dispose(): Promise<void> }> {
  const dir = tempDir("parley-pg-");
  const pgdata = join(dir, "pgdata");
  mkdirSync(pgdata);
  const asPg = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  if (asPg.length) Bun.spawnSync(["chown", "-R", "postgres", dir]);
  const init = Bun.spawnSync([...asPg, pgBin("initdb"), "-D", pgdata, "-A", "trust", "-U", "postgres", "--no-sync"], { stdout: "pipe", stderr: "pipe" });
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  const port = freePort();
  let proc: Subprocess | undefined;
  const start = async () => {
    proc = Bun.spawn([...asPg, pgBin("postgres"), "-D", pgdata, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"], { stdout: "ignore", stderr: "ignore" });
    await until(`our PostgreSQL on ${port}`, async () => {
      const s = new SQL({ url: `postgres://postgres@127.0.0.1:${port}/postgres`, max: 1, connectionTimeout: 2 });
      try {
        await s`SELECT 1`;
        return true;
      } finally {
        await s.close();
      }
    }, 30_000);
  };
  // Signals go to the postmaster itself (its pid file): `runuser` does not pass them on.
  const postmaster = () => Number(readFileSync(join(pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
  const stop = async () => {
    // A fast shutdown: PostgreSQL ends every session and exits, as an operator's restart does.
    process.kill(postmaster(), "SIGINT");
    await proc?.exited;
    proc = undefined;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`, start, stop,
    async dispose() {
      if (proc) {
        process.kill(postmaster(), "SIGQUIT");
        await proc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parley on a PostgreSQL of our own, stopped while a client sends, then started again. */
export async function runPgStop(o: { log?: (s: string) => void } = {}): Promise<FaultFigures> {
  const log = o.log ?? (() => undefined);
  const pg = await ownPostgres();
  log(`our PostgreSQL at ${pg.url}`);
  const notes: string[] = [];
  let srv: Awaited<ReturnType<typeof serverProc>> | undefined;
  const c: ChatClient[] = [];
  try {
    srv = await serverProc({ args: ["--db", pg.url + "?max=4"] });
    const { room, client } = await oneClient(srv, c);
    const body = "pg ".repeat(100);
    const before: Ledger = { oks: new Map(), errors: new Map() };
    // Traffic running when PostgreSQL stops: sends in flight at that moment get an ok or an error.
    let stopping = false;
    const stopped = Bun.sleep(300).then(async () => {
      stopping = true;
      await pg.stop();
    });
    let i = 0;
    while (!stopping) {
      const cmid = `before-${i++}`;
      const r = await trySend(client, room, cmid, body);
      if (r.ok) before.oks.set(cmid, r.seq);
      else before.errors.set(cmid, r.code);
    }
    await stopped;
    log(`PostgreSQL stopped after ${before.oks.size} oks`);
    const failing: Ledger = { oks: new Map(), errors: new Map() };
    const sends = await sendPhase(client, room, "down", failing, () => failing.errors.size >= 20, 20, body);
    log(`${failing.errors.size} errors while it was down; starting it again`);
    await pg.start();
    const after: Ledger = { oks: new Map(), errors: new Map() };
    let toRecover = 0;
    await until("a send accepted after PostgreSQL is back", async () => {
      const cmid = `after-${toRecover++}`;
      const r = await trySend(client, room, cmid, body);
      if (r.ok) after.oks.set(cmid, r.seq);
      else after.errors.set(cmid, r.code);
      return r.ok;
    }, 60_000);
    await sendPhase(client, room, "after-more", after, () => false, 20, body).catch(() => undefined);
    client.stop();
    const code = await srv.stop();
    if (code !== 0) notes.push(`the stop after the fault exited ${code}`);
    const db = new SQL({ url: pg.url, max: 1 });
    let rows: Map<string, number>;
    try {
      const r = await db`SELECT client_msg_id, seq FROM events WHERE room_id = ${room} AND client_msg_id IS NOT NULL`;
      rows = new Map(r.map((x: { client_msg_id: string; seq: number | string }) => [x.client_msg_id, Number(x.seq)]));
    } finally {
      await db.close();
    }
    return { what: "PostgreSQL (an instance of our own) stopped mid-traffic, then started", ...fromRows(rows, [before, failing, after], failing, sends, toRecover, [...notes, `${before.oks.size} oks and ${before.errors.size} errors while it was stopping`]) };
  } finally {
    for (const x of c) x.stop();
    await srv?.dispose();
    await pg.dispose();
  }
}
