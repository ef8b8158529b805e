// Accounts and sessions: register, login, refresh rotation with reuse detection, logout.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { User } from "../../protocol/types";
import { LIMITS } from "../../protocol/types";
import type { UserRow } from "../../ports/store";
import { Semaphore } from "../../rate-limit";
import { hashSecret, parseRefresh, signAccess } from "./tokens";

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

const LOGIN_WINDOW_MS = 15 * 60_000;
const IP_FACTOR = 5;

export function publicUser(u: Pick<UserRow, "id" | "username" | "displayName">): User {
  return { id: u.id, username: u.username, displayName: u.displayName };
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
  // Verifying against this when the user does not exist keeps the timing the same either way.
  const dummyHash = Bun.password.hash("not-a-real-password", hashOpts);

  async function issue(user: UserRow, familyId = ids.id()): Promise<Session> {
    const id = ids.id();
    const secret = ids.secret();
    await store.insertRefresh({
      id, familyId, userId: user.id, secretHash: hashSecret(secret),
      expiresAt: clock.now() + config.refreshTokenTtlSec * 1000, usedAt: null, revokedAt: null,
    });
    return { user: publicUser(user), accessToken: await signAccess(ctx, user.id), refreshToken: `${id}.${secret}` };
  }

  async function throttled(username: string, ip: string) {
    const wait = Math.max(...(await Promise.all([failures.wait(username), ipFailures.wait(ip)])));
    if (wait > 0) throw new AppError("rate_limited", "too many failed logins, try again later", { retryAfterMs: wait });
  }

  return {
    async register(input: { username: string; password: string; displayName?: string }, ip: string): Promise<Session> {
      const username = input.username.toLowerCase();
      if (!LIMITS.USERNAME_RE.test(username)) throw new AppError("invalid_request", "username must be 3–32 characters of a-z, 0-9, _ . -");
      if (input.password.length < LIMITS.PASSWORD_MIN) throw new AppError("invalid_request", `password must be at least ${LIMITS.PASSWORD_MIN} characters`);
      const displayName = (input.displayName ?? "").trim() || username;
      const wait = await registrations.take("ip:" + ip);
      if (wait > 0) throw new AppError("rate_limited", "too many registrations from this address", { retryAfterMs: wait });
      if (await store.userByName(username)) throw new AppError("conflict", "username is taken");
      const passwordHash = await hashing.run(() => Bun.password.hash(input.password, hashOpts));
      const user: UserRow = {
        id: ids.id(), username, displayName, passwordHash,
        isAdmin: (await store.countUsers()) === 0, deactivatedAt: null, createdAt: clock.now(), lastSeen: null,
      };
      await store.insertUser(user);
      ctx.log.info("user registered", { userId: user.id, username });
      return issue(user);
    },

    async login(input: { username: string; password: string }, ip: string): Promise<Session> {
      const username = input.username.toLowerCase();
      await throttled(username, ip);
      const user = await store.userByName(username);
      const ok = await hashing.run(async () => Bun.password.verify(input.password, user?.passwordHash ?? (await dummyHash)));
      if (!user || !ok) {
        await Promise.all([failures.take(username), ipFailures.take(ip)]);
        throw new AppError("invalid_credentials");
      }
      if (user.deactivatedAt) throw new AppError("forbidden", "account deactivated");
      await failures.reset(username);
      return issue(user);
    },

    async refresh(token: unknown): Promise<Session> {
      const { id, secret } = parseRefresh(token);
      const row = await store.refreshById(id);
      if (!row || row.secretHash !== hashSecret(secret)) throw new AppError("unauthenticated", "invalid refresh token");
      const now = clock.now();
      if (row.revokedAt || row.expiresAt <= now) throw new AppError("unauthenticated", "refresh token expired or revoked");
      if (!(await store.useRefresh(id, now))) {
        // A rotated token came back: someone holds a copy. End the whole session family.
        await store.revokeFamily(row.familyId, now);
        ctx.log.warn("refresh token reuse; family revoked", { userId: row.userId, familyId: row.familyId });
        throw new AppError("unauthenticated", "refresh token reused; session revoked");
      }
      const user = await store.userById(row.userId);
      if (!user || user.deactivatedAt) throw new AppError("unauthenticated", "account unavailable");
      return issue(user, row.familyId);
    },

    async logout(token: unknown): Promise<void> {
      const { id, secret } = parseRefresh(token);
      const row = await store.refreshById(id);
      if (row && row.secretHash === hashSecret(secret)) await store.revokeFamily(row.familyId, clock.now());
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
