// Accessible modal dialog: labelled, closes on Escape or backdrop click, keeps focus inside.
import { onCleanup, onMount, type JSX } from "solid-js";
import { Portal } from "solid-js/web";
import { IconX } from "./icons";

export function Modal(p: { title: string; onClose: () => void; children: JSX.Element; wide?: boolean }) {
  let panel!: HTMLDivElement;
  const prev = document.activeElement as HTMLElement | null;
  const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      p.onClose();
    }
    if (e.key !== "Tab") return;
    const items = [...panel.querySelectorAll<HTMLElement>("button, input, textarea, select, a[href], [tabindex='0']")].filter((el) => !el.hasAttribute("disabled"));
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  onMount(() => {
    const f = panel.querySelector<HTMLElement>("[autofocus], input, textarea, button:not(.close)");
    f?.focus();
  });
  onCleanup(() => prev?.focus?.());
  return (
    <Portal>
      <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && p.onClose()}>
        <div ref={panel} class={`modal${p.wide ? " wide" : ""}`} role="dialog" aria-modal="true" aria-labelledby={id} onKeyDown={onKey}>
          <header class="modal-head">
            <h2 id={id}>{p.title}</h2>
            <button type="button" class="icon-btn close" aria-label="Close" onClick={() => p.onClose()}>
              <IconX />
            </button>
          </header>
          {p.children}
        </div>
      </div>
    </Portal>
  );
}
