// Pure text of the installed app: the unread badge/title and the composer text for something shared in.

/** The count as the sidebar shows it: "" for none, capped at "99+". */
export function badgeText(n: number): string {
  return n > 99 ? "99+" : n > 0 ? String(Math.floor(n)) : "";
}

export function titleFor(n: number): string {
  const b = badgeText(n);
  return b ? `(${b}) Parley` : "Parley";
}

/** The composer text for a share: the text (or the title when there is none) and the link unless the text has it. */
export function shareText(m: { title: string; text: string; url: string }): string {
  const text = m.text.trim() || m.title.trim();
  const url = m.url.trim();
  return [text, url && !text.includes(url) ? url : ""].filter(Boolean).join("\n");
}
