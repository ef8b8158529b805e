// Search dialog helpers (pure): the filter chips' syntax and the result snippet split around the server's highlights.

/** The filters the server understands (protocol 1.2), as chips that add their syntax to the query. */
export const FILTER_CHIPS = [
  { label: "From", token: "from:" },
  { label: "In", token: "in:" },
  { label: "Has file", token: "has:file" },
  { label: "Has image", token: "has:image" },
  { label: "Has link", token: "has:link" },
  { label: "Before", token: "before:" },
  { label: "After", token: "after:" },
] as const;

/** Add a chip's token to the query (once, separated by a space); a value-less token ends the query so typing continues it. */
export function addFilter(q: string, token: string): string {
  const words = q.trim() ? q.trim().split(/\s+/) : [];
  if (words.includes(token)) return q;
  // `in:` takes a room name: quote-free names only, so a room with spaces is typed by hand.
  const rest = words.filter((w) => !(token.endsWith(":") && w === token));
  return [...rest, token].join(" ") + (token.endsWith(":") ? "" : " ");
}

export interface Segment {
  text: string;
  mark: boolean;
}

/**
 * The part of `body` around its first highlight, split into marked and unmarked segments (highlights are
 * [start, end) in UTF-16 code units, sorted, merged); whitespace runs fold to one space. Without
 * highlights, the start of the body.
 */
export function highlightSegments(body: string, highlights: [number, number][] | undefined, before = 50, total = 200): Segment[] {
  const hs = (highlights ?? []).filter(([a, b]) => a >= 0 && b > a && b <= body.length);
  const from = hs.length ? Math.max(0, hs[0][0] - before) : 0;
  const to = Math.min(body.length, from + total);
  const out: Segment[] = [];
  let at = from;
  for (const [a, b] of hs) {
    if (a >= to) break;
    const s = Math.max(a, at);
    if (s > at) out.push({ text: body.slice(at, s), mark: false });
    const e = Math.min(b, to);
    if (e > s) out.push({ text: body.slice(s, e), mark: true });
    at = Math.max(at, e);
  }
  if (at < to) out.push({ text: body.slice(at, to), mark: false });
  const clean = out.map((x) => ({ ...x, text: x.text.replace(/\s+/g, " ") })).filter((x) => x.text);
  if (from > 0 && clean.length) clean.unshift({ text: "…", mark: false });
  if (to < body.length) clean.push({ text: "…", mark: false });
  return clean;
}
