// Push port: browsers' Web Push subscriptions per user. Adapter: adapters/store/libsql-push.ts.

export interface PushSubscriptionRow {
  /** Random id from ctx.ids; kept when the endpoint is subscribed again. */
  id: string;
  userId: string;
  /** The push service URL the browser gave; unique across all users. */
  endpoint: string;
  /** The browser's P-256 public key, base64url (65 bytes uncompressed). */
  p256dh: string;
  /** The browser's auth secret, base64url (16 bytes). */
  auth: string;
  /** When the endpoint was last (re)subscribed, ms. */
  createdAt: number;
}

export interface PushStore {
  /**
   * Inserts the row, or, when the endpoint exists, gives that row to row.userId with the new keys
   * and createdAt (its id is kept). A browser has one endpoint per origin, so the account that
   * subscribed last on that browser is the one it notifies. Atomic: never two rows per endpoint.
   */
  upsert(row: PushSubscriptionRow): Promise<void>;
  /** Deletes the endpoint only if it belongs to that user; true when a row was deleted. */
  removeForUser(userId: string, endpoint: string): Promise<boolean>;
  /** The user's subscriptions, oldest (re)subscription first. */
  listByUser(userId: string): Promise<PushSubscriptionRow[]>;
  /** Deletes the endpoint whoever owns it (the push service answered 404/410: it is gone). Idempotent. */
  removeEndpoint(endpoint: string): Promise<void>;
}
