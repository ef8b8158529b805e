// Message markdown: a small subset (bold, italic, code, code blocks, links, lists, quotes) via marked, sanitized by DOMPurify.
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const SAFE_URL = /^(https?:|mailto:)/i;

const md = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    // Raw HTML in a message is shown as text, never parsed.
    html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
    heading({ tokens }: Tokens.Heading) {
      return `<p>${this.parser.parseInline(tokens)}</p>`;
    },
    image: ({ href, text }: Tokens.Image) =>
      SAFE_URL.test(href) ? `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>` : escapeHtml(text),
    hr: () => "<p>—</p>",
    table: (t: Tokens.Table) => `<p>${escapeHtml(t.raw)}</p>`,
    link({ href, tokens }: Tokens.Link) {
      const inner = this.parser.parseInline(tokens);
      if (!SAFE_URL.test(href.trim())) return inner;
      return `<a href="${escapeHtml(href)}">${inner}</a>`;
    },
  },
  extensions: [
    {
      name: "mention",
      level: "inline",
      start: (src: string) => {
        const i = src.search(/(^|[^\w@])@[a-z0-9_.-]{3}/i);
        return i < 0 ? undefined : src[i] === "@" ? i : i + 1;
      },
      tokenizer(src: string) {
        const m = /^@([a-z0-9_.-]{3,32})/i.exec(src);
        if (m) return { type: "mention", raw: m[0], name: m[1].replace(/[.-]+$/, "") };
        return undefined;
      },
      renderer: (t) => `<span class="mention" data-user="${escapeHtml(t.name.toLowerCase())}">@${escapeHtml(t.name)}</span>${escapeHtml(t.raw.slice(t.name.length + 1))}`,
    },
  ],
});

const ALLOWED_TAGS = ["p", "br", "strong", "em", "del", "code", "pre", "a", "ul", "ol", "li", "blockquote", "span"];
const ALLOWED_ATTR = ["href", "class", "data-user", "start"];

let hooked = false;
function hook(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href") ?? "";
      if (!SAFE_URL.test(href.trim())) node.removeAttribute("href");
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
    if (node.tagName === "SPAN" && node.getAttribute("class") !== "mention") node.removeAttribute("class");
  });
}

const cache = new Map<string, string>();

/** Body → safe HTML. Cached, since lists re-render often. */
export function renderMarkdown(body: string): string {
  const hit = cache.get(body);
  if (hit !== undefined) return hit;
  hook();
  const html = md.parse(body) as string;
  const clean = DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: [...ALLOWED_ATTR, "target", "rel"],
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  });
  if (cache.size > 2000) cache.clear();
  cache.set(body, clean);
  return clean;
}

/** Plain-text preview of a body (for notifications, reply quotes). */
export function plainPreview(body: string, max = 120): string {
  const t = body.replace(/```[\s\S]*?```/g, "[code]").replace(/[*_`>#~]/g, "").replace(/\s+/g, " ").trim();
  return t.length > max ? t.slice(0, max - 1) + "…" : t;
}
