// Round avatar: the person's picture when they set one, else initials on a name-derived colour; with an optional presence dot.
import { createSignal, Show } from "solid-js";
import type { PresenceStatus } from "../../../server/protocol/types";
import { hueOf, initials } from "../lib/format";
import { avatarUrl } from "../state/users";

/** `seed` is the user's id: it picks the colour and finds their picture. `url` overrides the picture (previews). */
export function Avatar(p: { name: string; seed: string; size?: number; status?: PresenceStatus; url?: string }) {
  const size = () => p.size ?? 36;
  const [broken, setBroken] = createSignal("");
  const url = () => {
    const u = p.url ?? avatarUrl(p.seed);
    return u && u !== broken() ? u : undefined;
  };
  return (
    <span class="avatar" classList={{ "has-pic": !!url() }} style={{ width: `${size()}px`, height: `${size()}px`, "--h": String(hueOf(p.seed)), "font-size": `${Math.round(size() * 0.38)}px` }} aria-hidden="true">
      <Show when={url()} fallback={initials(p.name)}>
        {(u) => <img src={u()} alt="" width={size()} height={size()} loading="lazy" onError={() => setBroken(u())} />}
      </Show>
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
