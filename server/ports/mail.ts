// Mail port: who gets mail about what they missed (protocol 1.2, --smtp-url). Adapters:
// adapters/store/{libsql,postgres}-mail.ts. Each promise is a rule of the store contract suite (STORE-146..149).

export interface MailPrefsRow {
  userId: string;
  /** The confirmed address mails go to; null until one is confirmed. */
  email: string | null;
  /** An address given but not confirmed yet, with the SHA-256 of the code mailed to it and its expiry. */
  pendingEmail: string | null;
  confirmHash: string | null;
  confirmExpiresAt: number | null;
  /** SHA-256 of the code in every mail's unsubscribe link (fixed per user). */
  unsubscribeHash: string;
  unsubscribed: boolean;
  /** When the last summary went out (0 = never). */
  lastMailedAt: number;
}

export interface MailStore {
  /** undefined when the user has no row (STORE-146). */
  get(userId: string): Promise<MailPrefsRow | undefined>;
  /** Inserts the row, or replaces the user's row whole (STORE-146). */
  put(row: MailPrefsRow): Promise<void>;
  /** The row with that confirmHash / unsubscribeHash; undefined when none (STORE-147). */
  byConfirmHash(hash: string): Promise<MailPrefsRow | undefined>;
  byUnsubscribeHash(hash: string): Promise<MailPrefsRow | undefined>;
  /**
   * Users to consider for a summary: a confirmed address, not unsubscribed, lastMailedAt < mailedBefore,
   * an active account last seen before offlineBefore (never seen: not listed). By user id, after `after`, at most `limit` (STORE-148).
   */
  due(q: { offlineBefore: number; mailedBefore: number; after?: string; limit: number }): Promise<{ userId: string; email: string; lastMailedAt: number }[]>;
  /**
   * Sets lastMailedAt = at if it is still below mailedBefore, atomically: of concurrent claims exactly
   * one gets true, so a user gets at most one mail per interval (STORE-149).
   */
  claim(userId: string, at: number, mailedBefore: number): Promise<boolean>;
}
