// Date/time formatting helpers for message lists and the sidebar.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const dayYearFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const shortDay = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

export const formatTime = (ts: number) => timeFmt.format(ts);
export const formatFull = (ts: number) => fullFmt.format(ts);

export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function formatDay(ts: number): string {
  const d = new Date(ts);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86_400_000);
  if (dayKey(ts) === dayKey(today.getTime())) return "Today";
  if (dayKey(ts) === dayKey(yesterday.getTime())) return "Yesterday";
  return d.getFullYear() === today.getFullYear() ? dayFmt.format(d) : dayYearFmt.format(d);
}

/** Compact "when" for the sidebar: time today, else a short date. */
export function formatWhen(ts: number | undefined): string {
  if (!ts) return "";
  return dayKey(ts) === dayKey(Date.now()) ? timeFmt.format(ts) : shortDay.format(ts);
}

/** Stable hue for a string (avatars). */
export function hueOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h % 360;
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  if (!parts.length) return "?";
  const a = [...parts[0]][0] ?? "?";
  const b = parts.length > 1 ? ([...parts[parts.length - 1]][0] ?? "") : "";
  return (a + b).toUpperCase();
}

const rel = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "5 minutes ago", "yesterday", … for last-seen times. */
export function formatAgo(ts: number, now = Date.now()): string {
  const s = Math.round((ts - now) / 1000);
  const a = Math.abs(s);
  if (a < 60) return "just now";
  if (a < 3600) return rel.format(Math.round(s / 60), "minute");
  if (a < 86_400) return rel.format(Math.round(s / 3600), "hour");
  return rel.format(Math.round(s / 86_400), "day");
}

/** Presence for people: "online", "away", "do not disturb", "last seen 5 minutes ago". */
export function presenceText(status: string, seen?: number): string {
  if (status === "online") return "online";
  if (status === "away") return "away";
  if (status === "dnd") return "do not disturb";
  return seen ? `last seen ${formatAgo(seen)}` : "offline";
}

/** "12 KB", "1.5 MB" for file sizes. */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
