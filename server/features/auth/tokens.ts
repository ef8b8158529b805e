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
  let userId: string;
  let sid: unknown;
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
  } catch (e) {
    if (e instanceof errors.JWTExpired) throw new AppError("token_expired", "access token expired");
    throw new AppError("unauthenticated", "invalid access token");
  }
  if (typeof sid !== "string") throw new AppError("unauthenticated", "invalid access token");
  return { userId, sid };
}

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
