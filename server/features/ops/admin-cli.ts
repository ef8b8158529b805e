// `parley invite …` and `parley user …`: server administration from the command line, against the configured store.

import type { Config } from "../../config";
import { createStore } from "../../adapters/store";
import { createBus } from "../../adapters/bus";
import { createLogger, randomIds, systemClock } from "../../runtime";
import { CLOSE, LIMITS } from "../../protocol/types";
import type { Store, UserRow } from "../../ports/store";
import { closeUser, sessionsEnded } from "../../realtime/publish";
import { INVITE_DEFAULTS, INVITE_LIMITS, newInviteCode } from "../invites/service";

export const ADMIN_USAGE = [
  "usage: parley invite create [--uses N] [--expires 7d] [--room NAME|ID]... [server options]",
  "       parley user create <username> [--admin] [--display-name NAME] [server options]   (password from stdin)",
  "       parley user passwd <username> [server options]                                   (password from stdin)",
  "       parley user deactivate|reactivate|promote|demote <username> [server options]",
].join("\n");

export class UsageError extends Error {}

/** "90s", "30m", "12h", "7d" or plain seconds → seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(v.trim());
  if (!m) throw new UsageError(`--expires takes a duration like 30m, 12h or 7d, got "${v}"`);
  return Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"];
}

/** Pulls this command's own flags out of argv; what is left are the server's settings (--data, --db, …). */
export function splitArgs(argv: string[], own: Record<string, "value" | "flag" | "list">): { opts: Record<string, string[]>; positional: string[]; rest: string[] } {
  const opts: Record<string, string[]> = {};
  const positional: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const kind = own[flag];
    if (kind === "flag") opts[flag] = ["true"];
    else if (kind) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      if (kind === "value" && opts[flag]) throw new UsageError(`${flag} given twice`);
      (opts[flag] ??= []).push(v);
    } else if (!argv[i].startsWith("--")) positional.push(argv[i]);
    else {
      rest.push(argv[i]);
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) rest.push(argv[++i]);
    }
  }
  return { opts, positional, rest };
}

/**
 * Runs against the store the server uses (a libSQL file may be open in a running server: SQLite's
 * locking and WAL make that safe). A running server reads accounts from the store on every request,
 * so a deactivation or a lost admin flag holds at once; sessions ended here refuse their refresh
 * tokens at once, and — when a --bus is configured — every node also closes their sockets and
 * refuses their access tokens at once. A single node without a bus learns of it only from the store:
 * its open sockets stay until they reconnect and its access tokens until they expire (--access-ttl).
 */
export async function runAdminCommand(config: Config, cmd: string[], opts: Record<string, string[]>, readPassword: () => Promise<string>, print: (line: string) => void): Promise<void> {
  const store = await createStore(config.databaseUrl);
  const log = createLogger("error");
  const bus = config.busUrl ? await createBus(config.busUrl, log) : undefined;
  try {
    await store.migrate();
    const [group, verb, name] = cmd;
    if (group === "invite" && verb === "create") return await createInvite(store, config, opts, print);
    if (group !== "user" || !name) throw new UsageError(ADMIN_USAGE);
    const username = name.toLowerCase();
    const now = systemClock.now();
    const hash = async (password: string) => {
      if (password.length < LIMITS.PASSWORD_MIN) throw new UsageError(`a password is at least ${LIMITS.PASSWORD_MIN} characters`);
      return Bun.password.hash(password, { algorithm: "argon2id", memoryCost: config.hashMemoryKiB, timeCost: config.hashTimeCost });
    };
    const endAll = async (u: UserRow) => {
      const ended = await store.endSessions(u.id, now);
      if (bus) sessionsEnded(bus, u.id, ended);
      return ended.length;
    };
    if (verb === "create") {
      if (!LIMITS.USERNAME_RE.test(username)) throw new UsageError("a username is 3–32 characters of a-z, 0-9, _ . -");
      const first = (await store.countUsers()) === 0;
      const displayName = (opts["--display-name"]?.[0] ?? "").trim() || username;
      const user: UserRow = {
        id: randomIds.id(), username, displayName, passwordHash: await hash(await readPassword()),
        isAdmin: first || opts["--admin"] !== undefined, deactivatedAt: null, createdAt: now, lastSeen: null, avatarId: null,
      };
      await store.insertUser(user);
      return print(`created ${username}${user.isAdmin ? " (server admin)" : ""}`);
    }
    const u = await store.userByName(username);
    if (!u) throw new UsageError(`no user named ${username}`);
    switch (verb) {
      case "passwd": {
        await store.updateUser(u.id, { passwordHash: await hash(await readPassword()) });
        return print(`password of ${username} set; ${await endAll(u)} session(s) ended`);
      }
      case "deactivate": {
        const ended = await store.endSessions(u.id, now);
        await store.deactivateUser(u.id, now);
        if (bus) {
          closeUser(bus, u.id, CLOSE.BANNED, "account deactivated");
          sessionsEnded(bus, u.id, ended);
        }
        return print(`deactivated ${username}`);
      }
      case "reactivate":
        await store.updateUser(u.id, { deactivatedAt: null });
        return print(`reactivated ${username}`);
      case "promote":
        await store.updateUser(u.id, { isAdmin: true });
        return print(`${username} is a server admin`);
      case "demote":
        if (u.isAdmin && !u.deactivatedAt && (await store.countAdmins()) <= 1) throw new UsageError(`${username} is the last server admin`);
        await store.updateUser(u.id, { isAdmin: false });
        return print(`${username} is no longer a server admin`);
      default:
        throw new UsageError(ADMIN_USAGE);
    }
  } finally {
    await bus?.close();
    await store.close();
  }
}

async function createInvite(store: Store, config: Config, opts: Record<string, string[]>, print: (line: string) => void) {
  const uses = Number(opts["--uses"]?.[0] ?? INVITE_DEFAULTS.maxUses);
  if (!Number.isInteger(uses) || uses < 1 || uses > INVITE_LIMITS.maxUses) throw new UsageError(`--uses must be 1–${INVITE_LIMITS.maxUses}`);
  const seconds = opts["--expires"] ? parseDuration(opts["--expires"][0]) : INVITE_DEFAULTS.expiresInSec;
  if (seconds < INVITE_LIMITS.minExpiresSec || seconds > INVITE_LIMITS.maxExpiresSec) throw new UsageError("--expires must be between 1m and 30d");
  const rooms: string[] = [];
  const publicRooms = opts["--room"] ? await store.publicRooms(100_000) : [];
  for (const want of opts["--room"] ?? []) {
    const byId = await store.roomById(want);
    const found = byId && byId.kind !== "dm" ? byId : publicRooms.find((r) => r.name.toLowerCase() === want.toLowerCase());
    if (!found) throw new UsageError(`no public room named "${want}" (give a private room by its id)`);
    rooms.push(found.id);
  }
  // Recorded as made by a server admin (the oldest one), since the command line has no account.
  const admin = (await store.listUsers({ limit: 10_000, activeOnly: true })).filter((u) => u.isAdmin).sort((a, b) => a.createdAt - b.createdAt)[0];
  const now = systemClock.now();
  const code = newInviteCode();
  await store.insertInvite({ code, maxUses: uses, uses: 0, expiresAt: now + seconds * 1000, rooms: [...new Set(rooms)], createdBy: admin?.id ?? "", createdAt: now, revokedAt: null });
  const path = `/invite/${code}`;
  print(config.publicUrl ? config.publicUrl + path : path);
  if (!config.publicUrl) print("(set --public-url or PARLEY_PUBLIC_URL to print the full link: open this path on your server's address)");
  print(`valid for ${uses} sign-up(s) until ${new Date(now + seconds * 1000).toISOString()}`);
}
