// Link previews (protocol 1.2): after a message with an http(s) link is committed, the server fetches
// the page by the rules of fetch.ts, reads its title, description, site name and og:image, stores the
// image like an upload of the message, and appends a `preview` room event. Off the send's path: a
// bounded queue worked by a few fetches at a time; a link that cannot be previewed gets no card.

import type { Context } from "../../context";
import type { Attachment } from "../../protocol/types";
import type { UploadRow } from "../../ports/uploads";
import type { Written } from "../messages/writer";
import { sniff } from "../uploads/sniff";
import { Refused, safeFetch, type FetchRules } from "./fetch";

const MAX_BYTES = 1024 * 1024;
const CONCURRENCY = 4;
/** Links waiting beyond this are dropped (a flood of links gets no cards rather than unbounded memory). */
const QUEUE_MAX = 200;
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/i;
const LIMITS = { title: 200, description: 500, siteName: 100 };

export interface PageMeta {
  title: string;
  description: string;
  siteName: string;
  image?: string;
}

/** The first http(s) link of a body, without trailing punctuation; undefined when none. */
export function firstLink(body: string): string | undefined {
  const m = URL_RE.exec(body);
  return m?.[0].replace(/[).,;:!?\]}]+$/, "");
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      const n = e[1].toLowerCase() === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}
const clean = (s: string | undefined, max: number) => (s === undefined ? "" : [...decode(s).replace(/\s+/g, " ").trim()].slice(0, max).join(""));

/** Title, description, site name and image of an HTML page (meta tags first, <title> as a fallback). */
export function parseMeta(html: string): PageMeta {
  const meta = new Map<string, string>();
  for (const tag of html.matchAll(/<meta\b[^>]*>/gi)) {
    const attrs = new Map<string, string>();
    for (const a of tag[0].matchAll(/([a-z:_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi)) attrs.set(a[1].toLowerCase(), a[2] ?? a[3] ?? a[4]);
    const key = (attrs.get("property") ?? attrs.get("name"))?.toLowerCase();
    if (key && attrs.has("content") && !meta.has(key)) meta.set(key, attrs.get("content")!);
  }
  const title = meta.get("og:title") ?? /<title\b[^>]*>([^<]*)<\/title>/i.exec(html)?.[1];
  return {
    title: clean(title, LIMITS.title),
    description: clean(meta.get("og:description") ?? meta.get("description"), LIMITS.description),
    siteName: clean(meta.get("og:site_name"), LIMITS.siteName),
    image: meta.get("og:image") ? decode(meta.get("og:image")!.trim()) : undefined,
  };
}

export function createPreviews(ctx: Context) {
  const rules: FetchRules = { allowPrivate: ctx.config.previewsAllowPrivate, timeoutMs: ctx.config.previewTimeoutMs, maxBytes: MAX_BYTES };
  if (ctx.config.previews === "on" && ctx.config.previewsAllowPrivate) {
    ctx.log.warn("link previews may fetch private addresses (--previews-allow-private): anyone who can post a link can make this server request internal services");
  }
  const queue: Written[] = [];
  let active = 0;
  const idle: (() => void)[] = [];

  async function image(src: string, base: string, room: string, msgSeq: number, sender: string): Promise<Attachment | undefined> {
    const got = await safeFetch(new URL(src, base).href, rules, "image/*");
    const mime = sniff(got.bytes);
    if (got.cut || !mime?.startsWith("image/")) return undefined;
    const row: UploadRow = { id: ctx.ids.id(), roomId: room, uploaderId: sender, filename: "preview", mime, size: got.bytes.length, createdAt: ctx.clock.now(), msgSeq, deletedAt: null };
    await ctx.blobs.put(row.id, got.bytes);
    await ctx.store.uploads.insert(row);
    return { id: row.id, filename: row.filename, mime: row.mime, size: row.size };
  }

  async function preview(w: Written) {
    const e = w.event;
    const url = "body" in e ? firstLink(e.body) : undefined;
    if (!url) return;
    const page = await safeFetch(url, rules, "text/html");
    if (!/^(text\/html|application\/xhtml\+xml)\b/.test(page.contentType)) throw new Refused(`not HTML: ${page.contentType || "no type"}`);
    const meta = parseMeta(new TextDecoder().decode(page.bytes));
    if (!meta.title && !meta.description) throw new Refused("no title or description");
    const img = meta.image ? await image(meta.image, page.url, e.room, e.seq, e.sender).catch(() => undefined) : undefined;
    const ref = await ctx.store.message(e.room, e.seq);
    if (!ref || ref.deleted) {
      if (img) await ctx.store.uploads.markDeletedForMessage(e.room, e.seq, ctx.clock.now()).then((rows) => ctx.blobs.remove(rows.map((r) => r.id)));
      return; // deleted while we fetched: no card
    }
    await ctx.writer.append({
      room: e.room, kind: "preview", sender: e.sender, ts: ctx.clock.now(),
      data: { msgSeq: e.seq, url, title: meta.title, description: meta.description, siteName: meta.siteName, ...(img ? { image: img } : {}) },
    });
  }

  function pump() {
    while (active < CONCURRENCY && queue.length) {
      const w = queue.shift()!;
      active++;
      preview(w)
        .catch((err) => ctx.log.debug("no link preview", { room: w.event.room, seq: w.event.seq, err: String(err) }))
        .finally(() => {
          active--;
          pump();
          if (active === 0 && queue.length === 0) idle.splice(0).forEach((r) => r());
        });
    }
  }

  return {
    /** The messages hook: queue a committed message that has a link. */
    sent(w: Written) {
      if (ctx.config.previews === "off" || !("body" in w.event) || !firstLink(w.event.body)) return;
      if (queue.length >= QUEUE_MAX) return;
      queue.push(w);
      pump();
    },
    /** Resolves once nothing is queued or being fetched (tests; the graceful stop). */
    idle(): Promise<void> {
      return active === 0 && queue.length === 0 ? Promise.resolve() : new Promise((r) => idle.push(r));
    },
  };
}
