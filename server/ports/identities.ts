// Identities port: accounts at an OpenID provider, (issuer, subject) → our user. Adapters: adapters/store/{libsql,postgres}-identities.ts.

import type { UserRow } from "./store";

export interface IdentityRow {
  /** The provider's issuer URL exactly as its ID tokens carry it. */
  issuer: string;
  /** The ID token's `sub`: stable and unique at that issuer (an e-mail address is neither). */
  subject: string;
  userId: string;
  createdAt: number;
}

export interface IdentitiesStore {
  /** undefined when nobody is linked to that (issuer, subject) (STORE-90). */
  find(issuer: string, subject: string): Promise<IdentityRow | undefined>;
  /**
   * Creates the account and its link in one transaction and returns the user id now linked to
   * (issuer, subject). When that pair is linked already (two first logins at once), stores nothing
   * and returns the linked user's id. A taken username is AppError("conflict") and stores nothing
   * (STORE-91, STORE-92).
   */
  createLinked(user: UserRow, identity: Omit<IdentityRow, "userId">): Promise<string>;
}
