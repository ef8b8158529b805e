// The search query language (protocol 1.2): words, "quoted phrases" and the filters from:, in:, has:,
// before:, after:; and the match ranges a result carries for highlighting.

import { AppError } from "../../errors";

export type Has = "file" | "image" | "link";
const HAS: readonly string[] = ["file", "image", "link"];
const DAY_MS = 86_400_000;

export interface ParsedQuery {
  /** Words and phrases: each must appear in the body as literal text, case-insensitively. */
  terms: string[];
  from?: string;
  in?: string;
  has: Has[];
  /** before:D → ts < the start of day D (UTC); after:D → ts >= the start of the day after D (UTC). */
  sentUntil?: number;
  sentFrom?: number;
}

/** A token: an optional `key:` and a value, quoted (a phrase) or not. An unclosed quote runs to the end. */
const TOKEN = /(?:([a-z]+):)?(?:"([^"]*)"?|(\S+))/giy;

/** Start of a YYYY-MM-DD day (UTC) in ms; invalid_request unless it is a real date. */
function day(key: string, v: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const t = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  if (!m || new Date(t).getUTCDate() !== +m[3] || new Date(t).getUTCMonth() !== +m[2] - 1) throw new AppError("invalid_request", `${key}: wants a date as YYYY-MM-DD`);
  return t;
}

export function parseQuery(q: string): ParsedQuery {
  const out: ParsedQuery = { terms: [], has: [] };
  TOKEN.lastIndex = 0;
  for (let i = 0; i < q.length; ) {
    if (/\s/.test(q[i])) {
      i++;
      continue;
    }
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(q)!; // always matches at a non-space character
    i = TOKEN.lastIndex;
    const key = m[1]?.toLowerCase();
    const value = m[2] ?? m[3] ?? "";
    if (key === undefined || value === "" || !["from", "in", "has", "before", "after"].includes(key)) {
      // Not a filter: the whole token is text (a phrase without its quotes; "key:" kept as written).
      const text = (m[1] !== undefined ? m[1] + ":" : "") + value;
      if (text.trim() !== "") out.terms.push(text);
      continue;
    }
    if (key === "from") out.from = value.replace(/^@/, "").toLowerCase();
    else if (key === "in") out.in = value;
    else if (key === "has") {
      const h = value.toLowerCase();
      if (!HAS.includes(h)) throw new AppError("invalid_request", "has: wants file, image or link");
      if (!out.has.includes(h as Has)) out.has.push(h as Has);
    } else if (key === "before") out.sentUntil = day(key, value);
    else out.sentFrom = day(key, value) + DAY_MS;
  }
  return out;
}

/**
 * Where the terms occur in the body: [start, end) in UTF-16 code units (JavaScript string indices),
 * case-insensitively, sorted, overlapping ones merged.
 */
export function matchRanges(body: string, terms: string[]): [number, number][] {
  const found: [number, number][] = [];
  for (const t of terms) {
    const re = new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu");
    for (const m of body.matchAll(re)) if (m[0].length) found.push([m.index, m.index + m[0].length]);
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const r of found) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}
