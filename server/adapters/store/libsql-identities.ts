// IdentitiesStore adapter for libSQL through drizzle, on the `oidc_identities` and `users` tables.

import { and, eq } from "drizzle-orm";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { AppError } from "../../errors";
import type * as schema from "../../db/schema";
import { oidcIdentities, users } from "../../db/schema";
import type { IdentitiesStore } from "../../ports/identities";

export function createLibsqlIdentities(db: LibSQLDatabase<typeof schema>): IdentitiesStore {
  const find: IdentitiesStore["find"] = async (issuer, subject) =>
    (await db.select().from(oidcIdentities).where(and(eq(oidcIdentities.issuer, issuer), eq(oidcIdentities.subject, subject))))[0];
  return {
    find,
    async createLinked(user, identity) {
      try {
        // A batch is one transaction: the account never exists without its link, nor the link without it.
        await db.batch([db.insert(users).values(user), db.insert(oidcIdentities).values({ ...identity, userId: user.id })]);
        return user.id;
      } catch (e) {
        const linked = await find(identity.issuer, identity.subject);
        if (linked) return linked.userId;
        if ((await db.select({ id: users.id }).from(users).where(eq(users.username, user.username))).length > 0) throw new AppError("conflict", "username is taken");
        throw e;
      }
    },
  };
}
