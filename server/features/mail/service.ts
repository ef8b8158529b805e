// Mail for what you missed (protocol 1.2; off unless --smtp-url): a user may give an e-mail address,
// which counts once confirmed through a mailed link; a user offline for --mail-after gets one mail
// summarizing their unread mentions and DMs, at most one per --mail-after, each with an unsubscribe
// link that works without logging in. The summary job runs on one node of a cluster (ops/leased-job.ts).

import type { Context } from "../../context";
import { AppError } from "../../errors";
import type { MailPrefsRow } from "../../ports/mail";
import type { UserRow } from "../../ports/store";
import { leasedJob, type LeasedJob } from "../ops/leased-job";

const CONFIRM_TTL_MS = 24 * 3_600_000;
const EMAIL_MAX = 254;
/** Deliberately loose: one @, something on each side, a dot in the domain, no spaces or controls. */
const EMAIL_RE = /^[^\s@<>",;\p{Cc}]+@[^\s@<>",;\p{Cc}]+\.[^\s@<>",;\p{Cc}]+$/u;
const SUMMARY_EVERY_MS = 60_000;
/** Confirmation mails per user: 5, then one per 10 minutes (nobody can mail-bomb an address through us). */
const CONFIRMS = { burst: 5, perSec: 1 / 600 };
const DUE_PAGE = 100;

export interface MailStatus {
  email: string | null;
  pendingEmail: string | null;
  unsubscribed: boolean;
}

const sha256 = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex");
const status = (r: MailPrefsRow | undefined): MailStatus => ({ email: r?.email ?? null, pendingEmail: r?.pendingEmail ?? null, unsubscribed: r?.unsubscribed ?? false });

export function createMail(ctx: Context) {
  const { store, clock, config } = ctx;
  const enabled = config.smtpUrl !== "";
  // nodemailer is imported only with --smtp-url: a server without mail never loads it (start-up memory, docs/benchmarks.md).
  const transport = enabled ? import("nodemailer").then((m) => m.default.createTransport(config.smtpUrl)) : undefined;
  const afterMs = config.mailAfterSec * 1000;
  const confirms = ctx.limits.limiter("mail-confirmations-per-user", CONFIRMS);

  /** Links in mails: --public-url, else the address the request came to (a confirmation) or the listener. */
  const base = (origin?: string) => config.publicUrl || origin || `http://${config.host}:${config.port}`;

  /** The user's unsubscribe code: derived from the server's key (nothing to store but its hash, the same in every mail). */
  async function unsubscribeCode(userId: string): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", ctx.jwtKey, new TextEncoder().encode("mail-unsubscribe:" + userId));
    return Buffer.from(mac).toString("base64url");
  }

  async function send(to: string, subject: string, text: string, headers: Record<string, string> = {}) {
    await (await transport!).sendMail({ from: config.mailFrom, to, subject, text, headers });
  }

  async function summarize(user: UserRow, since: number): Promise<string | undefined> {
    const rooms = (await store.roomsOf(user.id)).filter((r) => r.lastActivity > since && (r.mentions > 0 || (r.kind === "dm" && r.unread > 0)));
    if (rooms.length === 0) return undefined;
    const peers = new Map((await store.usersByIds(rooms.filter((r) => r.kind === "dm").map((r) => r.dmKey!.split(":").find((id) => id !== user.id) ?? user.id))).map((u) => [u.id, u]));
    return rooms
      .map((r) => {
        if (r.kind === "dm") {
          const peer = peers.get(r.dmKey!.split(":").find((id) => id !== user.id) ?? user.id);
          return `- ${r.unread} unread direct message${r.unread === 1 ? "" : "s"} from ${peer?.displayName ?? "someone"}`;
        }
        return `- ${r.mentions} mention${r.mentions === 1 ? "" : "s"} in #${r.name}`;
      })
      .join("\n");
  }

  /** One pass: every user due gets at most one summary (claimed in the store before it is sent). */
  async function pass(now: number) {
    const before = now - afterMs;
    for (let after: string | undefined; ; ) {
      const due = await store.mail.due({ offlineBefore: before, mailedBefore: before, after, limit: DUE_PAGE });
      for (const d of due) {
        if (ctx.presence.hasConnection(d.userId)) continue; // back online somewhere in the cluster
        const user = await store.userById(d.userId);
        if (!user) continue;
        const lines = await summarize(user, Math.max(d.lastMailedAt, user.lastSeen ?? 0));
        if (!lines || !(await store.mail.claim(d.userId, now, before))) continue;
        const link = `${base()}/mail/unsubscribe?code=${await unsubscribeCode(user.id)}`;
        const text = `Hello ${user.displayName},\n\nwhile you were away:\n${lines}\n\nOpen Parley: ${base()}/\n\nNo more of these mails: ${link}\n`;
        await send(d.email, "What you missed on Parley", text, { "List-Unsubscribe": `<${link}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" }).catch((e) =>
          ctx.log.warn("summary mail not sent", { userId: user.id, err: String(e) }),
        );
      }
      if (due.length < DUE_PAGE) return;
      after = due[due.length - 1].userId;
    }
  }

  const job: LeasedJob | undefined = enabled ? leasedJob(ctx, { name: "mail-summary", everyMs: SUMMARY_EVERY_MS, pass }) : undefined;

  return {
    enabled,
    job,

    async status(me: UserRow): Promise<MailStatus> {
      return status(await store.mail.get(me.id));
    },

    /** "" removes the address; another address is pending until confirmed through the link mailed to it. */
    async setEmail(me: UserRow, email: string, origin?: string): Promise<MailStatus> {
      if (!enabled) throw new AppError("invalid_request", "mail is off on this server (--smtp-url)");
      const address = email.trim();
      const row: MailPrefsRow = (await store.mail.get(me.id)) ?? {
        userId: me.id, email: null, pendingEmail: null, confirmHash: null, confirmExpiresAt: null, unsubscribeHash: sha256(await unsubscribeCode(me.id)), unsubscribed: false, lastMailedAt: 0,
      };
      if (address === "") {
        await store.mail.put({ ...row, email: null, pendingEmail: null, confirmHash: null, confirmExpiresAt: null });
        return status(await store.mail.get(me.id));
      }
      if (address.length > EMAIL_MAX || !EMAIL_RE.test(address)) throw new AppError("invalid_request", "email is not an e-mail address");
      const wait = await confirms.take(me.id);
      if (wait > 0) throw new AppError("rate_limited", "too many confirmation mails; try again later", { retryAfterMs: wait });
      const code = ctx.ids.secret();
      await store.mail.put({ ...row, pendingEmail: address, confirmHash: sha256(code), confirmExpiresAt: clock.now() + CONFIRM_TTL_MS });
      const link = `${base(origin)}/mail/confirm?code=${code}`;
      await send(address, "Confirm your e-mail address for Parley", `Hello ${me.displayName},\n\nto get mail from Parley at this address, open:\n${link}\n\nIf you did not ask for this, ignore this mail.\n`).catch((e) => {
        ctx.log.warn("confirmation mail not sent", { userId: me.id, err: String(e) });
        throw new AppError("internal", "the confirmation mail could not be sent; try again later");
      });
      return status(await store.mail.get(me.id));
    },

    /** The link in the confirmation mail: the pending address becomes the address (and mail is on again). */
    async confirm(code: string): Promise<boolean> {
      const row = code ? await store.mail.byConfirmHash(sha256(code)) : undefined;
      if (!row || !row.pendingEmail || (row.confirmExpiresAt ?? 0) <= clock.now()) return false;
      await store.mail.put({ ...row, email: row.pendingEmail, pendingEmail: null, confirmHash: null, confirmExpiresAt: null, unsubscribed: false });
      return true;
    },

    /** The link in every summary: no login, the code alone. */
    async unsubscribe(code: string): Promise<boolean> {
      const row = code ? await store.mail.byUnsubscribeHash(sha256(code)) : undefined;
      if (!row) return false;
      await store.mail.put({ ...row, unsubscribed: true });
      return true;
    },

    stop: () => job?.stop() ?? Promise.resolve(),
  };
}

export type Mail = ReturnType<typeof createMail>;
