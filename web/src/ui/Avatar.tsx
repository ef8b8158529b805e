// Round avatar with initials on a name-derived colour, with an optional presence dot.
import { Show } from "solid-js";
import type { PresenceStatus } from "../../../server/protocol/types";
import { hueOf, initials } from "../lib/format";

export function Avatar(p: { name: string; seed: string; size?: number; status?: PresenceStatus }) {
  const size = () => p.size ?? 36;
  return (
    <span class="avatar" style={{ width: `${size()}px`, height: `${size()}px`, "--h": String(hueOf(p.seed)), "font-size": `${Math.round(size() * 0.38)}px` }} aria-hidden="true">
      {initials(p.name)}
      <Show when={p.status}>
        <span class={`dot dot-${p.status}`} />
      </Show>
    </span>
  );
}

export function PresenceDot(p: { status?: PresenceStatus }) {
  const label = () => p.status ?? "offline";
  return <span class={`dot inline dot-${label()}`} role="img" aria-label={label()} title={label()} />;
}
