// Access tokens (jose, HS256 pinned, iss/aud/exp checked) and opaque refresh tokens (id.secret).

import { errors, jwtVerify, SignJWT } from "jose";
import { AppError } from "../../errors";
import type { Context } from "../../context";

const ISSUER = "parley";
const AUDIENCE = "parley";

/** `sid`: the session (refresh-token family) the token belongs to; ending the session refuses the token. */
export async function signAccess(ctx: Context, userId: string, sid: string): Promise<string> {
  const now = Math.floor(ctx.clock.now() / 1000);
  return new SignJWT({ sid })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + ctx.config.accessTokenTtlSec)
    .sign(ctx.jwtKey);
}

/**
 * The user and session of a valid access token; AppError(unauthenticated | token_expired) otherwise.
 * Callers then check the account (deactivated: 403 / 4003) and the session (ended: 401 / 4001, a
 * lookup in this node's list, features/auth/ended.ts), in that order.
 */
export async function verifyAccess(ctx: Context, token: string): Promise<{ userId: string; sid: string }> {
  let cache = verifiedTokens.get(ctx.jwtKey);
  if (!cache) verifiedTokens.set(ctx.jwtKey, (cache = new Map()));
  const hit = cache.get(token);
  if (hit) {
    // jose's rule, without the signature check this exact token already passed: expired once exp ≤ now.
    if (hit.exp <= Math.floor(ctx.clock.now() / 1000)) throw new AppError("token_expired", "access token expired");
    return { userId: hit.userId, sid: hit.sid };
  }
  let userId: string;
  let sid: unknown;
  let exp: number;
  try {
    const { payload } = await jwtVerify(token, ctx.jwtKey, {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(ctx.clock.now()),
      requiredClaims: ["sub", "exp", "sid"],
    });
    userId = payload.sub!;
    sid = payload.sid;
    exp = payload.exp!;
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw new AppError("token_expired", "access token expired");
    throw new AppError("unauthenticated", "invalid access token");
  }
  if (typeof sid !== "string") throw new AppError("unauthenticated", "invalid access token");
  if (cache.size >= VERIFIED_MAX) cache.clear();
  cache.set(token, { userId, sid, exp });
  return { userId, sid };
}

/**
 * Access tokens whose signature and claims were checked, per key, until they expire. The check costs
 * ~75 µs of CPU (jose over WebCrypto) and every authenticated request and hello repeats it with the same
 * token (docs/benchmarks.md, "Server cost per message"). A token is the exact string that passed, so a hit
 * proves what the check would; expiry is still judged at each use, and an ended session is refused by the
 * callers' `endedSessions` check as before. Bounded: cleared when full.
 */
const verifiedTokens = new WeakMap<CryptoKey, Map<string, { userId: string; sid: string; exp: number }>>();
const VERIFIED_MAX = 4096;

export function hashSecret(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}

/** A refresh token is "<rowId>.<secret>"; only the secret's hash is stored. */
export function parseRefresh(token: unknown): { id: string; secret: string } {
  if (typeof token !== "string" || token.length > 200) throw new AppError("unauthenticated", "invalid refresh token");
  const dot = token.indexOf(".");
  if (dot < 1) throw new AppError("unauthenticated", "invalid refresh token");
  return { id: token.slice(0, dot), secret: token.slice(dot + 1) };
}
