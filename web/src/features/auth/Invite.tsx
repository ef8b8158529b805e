// The invite a `/invite/<code>` link carries: fetched without signing in (GET /api/invites/:code) and shown above the sign-up form.
import "../../ui/page.css";
import { createResource, For, Show } from "solid-js";
import { api } from "../../lib/api";
import { formatFull } from "../../lib/format";
import { inviteCode } from "../../state/route";

type InviteInfo = { expiresAt: number; rooms: { name: string }[] };

/** The invite of the current link: its rooms, or null when it is unknown, used up, expired or revoked. */
export function useInvite() {
  const [invite] = createResource(inviteCode, (code) => api.inviteInfo(code).then((r) => r.invite as InviteInfo, () => null));
  return invite;
}

export function InviteNote(p: { invite: InviteInfo | null | undefined; loading: boolean; onDismiss: () => void }) {
  return (
    <div class="invite-note" role="status" classList={{ bad: !p.loading && !p.invite }}>
      <Show when={!p.loading} fallback={<span class="muted">Checking your invite…</span>}>
        <Show
          when={p.invite}
          fallback={
            <>
              <strong>This invite link is no longer valid.</strong>
              <span>It may have expired, been used up or been revoked. Ask for a new one. </span>
              <button type="button" class="link" onClick={p.onDismiss}>Continue without it</button>
            </>
          }
        >
          {(inv) => (
            <>
              <strong>You're invited{inv().rooms.length ? " to join" : ""}</strong>
              <Show when={inv().rooms.length}>
                <span class="invite-rooms">
                  <For each={inv().rooms}>{(r) => <span class="chip">#{r.name}</span>}</For>
                </span>
              </Show>
              <span class="muted">Create your account below. The invite works until {formatFull(inv().expiresAt)}.</span>
            </>
          )}
        </Show>
      </Show>
    </div>
  );
}
