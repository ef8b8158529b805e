// Accounts and sessions: register, login, refresh rotation with reuse detection, logout.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { User } from "../../protocol/types";
import { LIMITS } from "../../protocol/types";
import type { InviteRow, UserRow } from "../../ports/store";
import { Semaphore } from "../../rate-limit";
import { hashSecret, parseRefresh, signAccess } from "./tokens";
import { memberEvent } from "../rooms/service";
import { sessionsEnded } from "../../realtime/publish";

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

const LOGIN_WINDOW_MS = 15 * 60_000;
const IP_FACTOR = 5;
/** Lifetime of the refresh token a single sign-on hands over in a URL fragment. */
const SSO_HANDOFF_SEC = 120;
const RESET_TTL_MS = 24 * 60 * 60_000;

/** What a new session records of the client that made it (the sessions list shows it). */
export interface SessionMeta {
  ip: string;
  userAgent: string;
}

const USER_AGENT_MAX = 256;

export function publicUser(u: Pick<UserRow, "id" | "username" | "displayName" | "isAdmin" | "avatarId">): User {
  const user: User = { id: u.id, username: u.username, displayName: u.displayName, isAdmin: u.isAdmin };
  // The avatar id in the URL: a new picture is a new URL, so a cached old one is never shown.
  if (u.avatarId) user.avatarUrl = `/api/users/${u.id}/avatar?v=${u.avatarId}`;
  return user;
}

/**
 * Ends sessions of a user at once on every node: the store ends them and revokes their refresh tokens,
 * this node refuses their access tokens before the caller answers, and the bus tells every node to
 * refuse them too and close their sockets (4001). Returns the ids ended.
 */
export async function endSessions(ctx: Context, userId: string, which: { only?: string; except?: string } = {}): Promise<string[]> {
  const ended = await ctx.store.endSessions(userId, ctx.clock.now(), which);
  ctx.endedSessions.add(ended);
  sessionsEnded(ctx.bus, userId, ended);
  return ended;
}

export function createAuth(ctx: Context) {
  const { config, store, clock, ids } = ctx;
  const hashing = new Semaphore(config.maxConcurrentHashes);
  const registrations = ctx.limits.limiter("register-per-address", { burst: config.registerPerIpPer10Min, perSec: config.registerPerIpPer10Min / 600 });
  const failures = ctx.limits.limiter("login-failures-per-username", { burst: config.loginFailuresPerWindow, perSec: config.loginFailuresPerWindow / (LOGIN_WINDOW_MS / 1000) });
  // An address may hold several people (an office NAT): it gets a larger allowance than one username.
  const ipFailures = ctx.limits.limiter("login-failures-per-address", {
    burst: config.loginFailuresPerWindow * IP_FACTOR,
    perSec: (config.loginFailuresPerWindow * IP_FACTOR) / (LOGIN_WINDOW_MS / 1000),
  });
  const hashOpts = { algorithm: "argon2id" as const, memoryCost: config.hashMemoryKiB, timeCost: config.hashTimeCost };
  // Verifying against this when the user does not exist keeps the timing the same either way. Written out, not
  // computed: verify reads the cost from the string, and hashing it at start-up took 64 MiB of memory for a
  // moment (the argon2id memory cost), which made the start-up RSS 74 MB or 138 MB depending on when it was read.
  const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64").replace(/=+$/, "");
  const dummyHash = `$argon2id$v=19$m=${hashOpts.memoryCost},t=${hashOpts.timeCost},p=1$${salt}$${salt}`;

  /** A new session when `meta` is given; otherwise the next token of the session `familyId` (a refresh). */
  async function issue(user: UserRow, meta: SessionMeta | undefined, familyId = ids.id(), refreshTtlSec = config.refreshTokenTtlSec): Promise<Session> {
    const id = ids.id();
    const secret = ids.secret();
    const now = clock.now();
    if (meta) await store.insertSession({ id: familyId, userId: user.id, createdAt: now, lastUsedAt: now, userAgent: meta.userAgent.slice(0, USER_AGENT_MAX), ip: meta.ip, endedAt: null });
    else await store.touchSession(familyId, now);
    await store.insertRefresh({
      id, familyId, userId: user.id, secretHash: hashSecret(secret),
      expiresAt: clock.now() + refreshTtlSec * 1000, usedAt: null, revokedAt: null,
    });
    return { user: publicUser(user), accessToken: await signAccess(ctx, user.id, familyId), refreshToken: `${id}.${secret}` };
  }

  /**
   * Every guess takes a token from the username's and the address's budgets BEFORE its password is
   * checked, and a right password gives them back: with a peek before and a take after, every guess
   * in flight at once passed the peek, so parallel guesses were never limited. The address is taken
   * only after the username allowed the guess (a refused guess spends nothing anywhere), and a refusal
   * by the address gives the username's token back.
   */
  async function takeGuess(username: string, ip: string) {
    let wait = await failures.take(username);
    if (wait === 0) {
      wait = await ipFailures.take(ip);
      if (wait > 0) await failures.give(username);
    }
    if (wait > 0) throw new AppError("rate_limited", "too many failed logins, try again later", { retryAfterMs: wait });
  }

  function checkPassword(password: string) {
    if (password.length < LIMITS.PASSWORD_MIN) throw new AppError("invalid_request", `password must be at least ${LIMITS.PASSWORD_MIN} characters`);
  }

  /** The registration mode's verdict; true for the very first account (always allowed: it becomes the server admin). */
  async function checkRegistration(inviteCode: string | undefined): Promise<boolean> {
    if ((await store.countUsers()) === 0) return true;
    if (config.registration === "closed") throw new AppError("registration_closed");
    if (inviteCode === undefined) {
      if (config.registration === "invite") throw new AppError("invite_required");
      return false;
    }
    if (!usable(await store.inviteByCode(inviteCode))) throw new AppError("invalid_invite");
    return false;
  }

  const usable = (i: InviteRow | undefined): i is InviteRow => !!i && i.revokedAt === null && i.expiresAt > clock.now() && i.uses < i.maxUses;

  async function takeInvite(code: string): Promise<InviteRow> {
    const invite = await store.consumeInvite(code, clock.now());
    if (!invite) throw new AppError("invalid_invite"); // unknown, revoked, expired or used up: one answer
    return invite;
  }

  /** The invite's rooms that still exist, joined as member events (like a join; the inviter is the sender). */
  async function joinInviteRooms(user: UserRow, invite: InviteRow) {
    const rooms = (await Promise.all(invite.rooms.map((id) => store.roomById(id)))).filter((r) => r !== undefined);
    if (rooms.length === 0) return;
    await ctx.writer.appendAll(
      rooms.map((r) => memberEvent(ctx, r.id, user.id, user.id, "join", [{ type: "member.add", userId: user.id, role: "member" }], { user: publicUser(user) })),
    );
  }

  return {
    async register(input: { username: string; password: string; displayName?: string; inviteCode?: string }, ip: string, userAgent = ""): Promise<Session> {
      const username = input.username.toLowerCase();
      if (!LIMITS.USERNAME_RE.test(username)) throw new AppError("invalid_request", "username must be 3–32 characters of a-z, 0-9, _ . -");
      if (input.password.length < LIMITS.PASSWORD_MIN) throw new AppError("invalid_request", `password must be at least ${LIMITS.PASSWORD_MIN} characters`);
      const displayName = (input.displayName ?? "").trim() || username;
      const wait = await registrations.take("ip:" + ip);
      if (wait > 0) throw new AppError("rate_limited", "too many registrations from this address", { retryAfterMs: wait });
      const first = await checkRegistration(input.inviteCode);
      if (await store.userByName(username)) throw new AppError("conflict", "username is taken");
      const passwordHash = await hashing.run(() => Bun.password.hash(input.password, hashOpts));
      // The use is taken before the account exists: concurrent sign-ups never exceed maxUses.
      const invite = input.inviteCode !== undefined ? await takeInvite(input.inviteCode) : undefined;
      const user: UserRow = {
        id: ids.id(), username, displayName, passwordHash,
        isAdmin: first, deactivatedAt: null, createdAt: clock.now(), lastSeen: null, avatarId: null,
      };
      await store.insertUser(user);
      ctx.log.info("user registered", { userId: user.id, username, admin: first, invite: invite !== undefined });
      if (invite) await joinInviteRooms(user, invite);
      return issue(user, { ip, userAgent });
    },

    async login(input: { username: string; password: string }, ip: string, userAgent = ""): Promise<Session> {
      const username = input.username.toLowerCase();
      await takeGuess(username, ip);
      const user = await store.userByName(username);
      const ok = await hashing.run(async () => Bun.password.verify(input.password, user?.passwordHash || dummyHash));
      // An account made by single sign-on has no password (NO_PASSWORD): it cannot log in with one.
      if (!user || !user.passwordHash || !ok) throw new AppError("invalid_credentials");
      // The right password: this guess does not count, and the username's earlier failures are cleared.
      await Promise.all([failures.reset(username), ipFailures.give(ip)]);
      if (user.deactivatedAt) throw new AppError("forbidden", "account deactivated");
      return issue(user, { ip, userAgent });
    },

    async refresh(token: unknown): Promise<Session> {
      const { id, secret } = parseRefresh(token);
      const row = await store.refreshById(id);
      if (!row || row.secretHash !== hashSecret(secret)) throw new AppError("unauthenticated", "invalid refresh token");
      const now = clock.now();
      if (row.revokedAt || row.expiresAt <= now) throw new AppError("unauthenticated", "refresh token expired or revoked");
      if (!(await store.useRefresh(id, now))) {
        // A rotated token came back: someone holds a copy. End the whole session family.
        await endSessions(ctx, row.userId, { only: row.familyId });
        ctx.log.warn("refresh token reuse; family revoked", { userId: row.userId, familyId: row.familyId });
        throw new AppError("unauthenticated", "refresh token reused; session revoked");
      }
      const user = await store.userById(row.userId);
      if (!user || user.deactivatedAt) throw new AppError("unauthenticated", "account unavailable");
      return issue(user, undefined, row.familyId);
    },

    async logout(token: unknown): Promise<void> {
      const { id, secret } = parseRefresh(token);
      const row = await store.refreshById(id);
      if (row && row.secretHash === hashSecret(secret)) await endSessions(ctx, row.userId, { only: row.familyId });
    },

    /**
     * A session for a single sign-on (oidc-routes.ts). Its first refresh token is handed over in a URL
     * fragment, so it lives SSO_HANDOFF_SEC and works once: the client trades it at /api/auth/refresh.
     */
    async ssoSession(user: UserRow, meta: SessionMeta): Promise<Session> {
      return issue(user, meta, ids.id(), SSO_HANDOFF_SEC);
    },

    /**
     * A single-sign-on sign-up (oidc.ts): the registration mode applies only when `applyMode`
     * (--oidc-registration invite); an invite code given is used up before the account exists, as in
     * register. Throws when refused.
     */
    async admitSsoSignUp(inviteCode: string | undefined, applyMode: boolean): Promise<InviteRow | undefined> {
      if (applyMode) await checkRegistration(inviteCode);
      return inviteCode !== undefined ? takeInvite(inviteCode) : undefined;
    },
    /** After a single-sign-on sign-up with an invite: joins the invite's rooms. */
    async joinInvite(user: UserRow, invite: InviteRow): Promise<void> {
      await joinInviteRooms(user, invite);
    },

    /** Sets a new password and ends every OTHER session of the user (the caller's `sid` keeps working). */
    async changePassword(user: UserRow, sid: string, input: { currentPassword: string; newPassword: string }): Promise<void> {
      checkPassword(input.newPassword);
      // A guess at the current password (a stolen session's) spends the username's login budget, taken first as for a login.
      const wait = await failures.take(user.username);
      if (wait > 0) throw new AppError("rate_limited", "too many failed password checks, try again later", { retryAfterMs: wait });
      const ok = user.passwordHash !== "" && (await hashing.run(() => Bun.password.verify(input.currentPassword, user.passwordHash)));
      if (!ok) throw new AppError("invalid_credentials", "the current password is wrong");
      await failures.give(user.username);
      await store.updateUser(user.id, { passwordHash: await hashing.run(() => Bun.password.hash(input.newPassword, hashOpts)) });
      const ended = await endSessions(ctx, user.id, { except: sid });
      ctx.log.info("password changed", { userId: user.id, sessionsEnded: ended.length });
    },

    /** Sets the password of an account (admin commands); every session of it ends. */
    async setPassword(userId: string, password: string): Promise<void> {
      checkPassword(password);
      await store.updateUser(userId, { passwordHash: await hashing.run(() => Bun.password.hash(password, hashOpts)) });
      await endSessions(ctx, userId);
    },

    /** A one-time reset code for the user, valid 24 h; only its hash is stored. */
    async createResetCode(userId: string): Promise<{ code: string; expiresAt: number }> {
      const code = ids.secret();
      const now = clock.now();
      const expiresAt = now + RESET_TTL_MS;
      await store.insertPasswordReset({ codeHash: hashSecret(code), userId, createdAt: now, expiresAt, usedAt: null });
      return { code, expiresAt };
    },

    /** Redeems a reset code: the new password is set, every session of the user ends, and a new one starts. */
    async reset(input: { code: string; newPassword: string }, ip: string, userAgent = ""): Promise<Session> {
      checkPassword(input.newPassword);
      const userId = await store.consumePasswordReset(hashSecret(input.code), clock.now());
      const user = userId && (await store.userById(userId));
      if (!user) throw new AppError("invalid_credentials", "this reset code is not valid");
      if (user.deactivatedAt) throw new AppError("forbidden", "account deactivated");
      const passwordHash = await hashing.run(() => Bun.password.hash(input.newPassword, hashOpts));
      await store.updateUser(user.id, { passwordHash });
      await endSessions(ctx, user.id);
      ctx.log.info("password reset", { userId: user.id });
      return issue({ ...user, passwordHash }, { ip, userAgent });
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
