// IdentitiesStore adapter for PostgreSQL through drizzle, on the `oidc_identities` and `users` tables.

import { and, eq } from "drizzle-orm";
import { AppError } from "../../errors";
import { oidcIdentities, users } from "../../db/schema.pg";
import type { IdentitiesStore } from "../../ports/identities";
import type { PgDb } from "./postgres";
import { pgText, sqlState } from "./postgres-effects";

export function createPostgresIdentities(db: PgDb): IdentitiesStore {
  const find: IdentitiesStore["find"] = async (issuer, subject) =>
    (await db.select().from(oidcIdentities).where(and(eq(oidcIdentities.issuer, pgText(issuer)), eq(oidcIdentities.subject, pgText(subject)))))[0];
  return {
    find,
    async createLinked(user, identity) {
      try {
        await db.transaction(async (tx) => {
          await tx.insert(users).values({ ...user, username: pgText(user.username), displayName: pgText(user.displayName) });
          // A concurrent first login of the same subject waits on this key and then fails here: its account rolls back.
          await tx.insert(oidcIdentities).values({ issuer: pgText(identity.issuer), subject: pgText(identity.subject), userId: user.id, createdAt: identity.createdAt });
        });
        return user.id;
      } catch (e) {
        if (sqlState(e) !== "23505") throw e;
        const linked = await find(identity.issuer, identity.subject);
        if (linked) return linked.userId;
        throw new AppError("conflict", "username is taken");
      }
    },
  };
}
