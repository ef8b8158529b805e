// A full page in the main pane (account settings, administration): a header like a conversation's (with "back" on phones) and a scrolling body of cards.
import type { JSX } from "solid-js";
import { navigate } from "../state/route";
import { IconBack } from "./icons";
import "./page.css";

export function Page(p: { title: string; subtitle?: string; icon: JSX.Element; children: JSX.Element; class?: string }) {
  return (
    <section class={`conversation page ${p.class ?? ""}`} aria-label={p.title}>
      <header class="conv-head">
        <button type="button" class="icon-btn back" aria-label="Back to conversations" onClick={() => navigate(null)}>
          <IconBack />
        </button>
        <span class="room-icon lg">{p.icon}</span>
        <div class="conv-title">
          <h1>{p.title}</h1>
          <p class="muted topic">{p.subtitle}</p>
        </div>
      </header>
      <div class="page-scroll">
        <div class="page-body">{p.children}</div>
      </div>
    </section>
  );
}

/** One titled card of a page. */
export function Card(p: { title: string; hint?: string; children: JSX.Element; id?: string }) {
  const id = `card-${p.id ?? p.title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{p.title}</h2>
      {p.hint ? <p class="muted card-hint">{p.hint}</p> : null}
      {p.children}
    </section>
  );
}

/** Copy text to the clipboard; false when the browser refuses (the text stays selectable on screen). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
