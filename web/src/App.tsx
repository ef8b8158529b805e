// App shell: auth screen or the two-pane chat layout (one pane on phones), plus banners and toasts.
import { createEffect, Match, Show, Switch } from "solid-js";
import { ConnectionBanner } from "./features/ConnectionBanner";
import { AuthScreen } from "./features/auth/AuthScreen";
import { Conversation } from "./features/conversation/Conversation";
import { Sidebar } from "./features/sidebar/Sidebar";
import { currentRoom } from "./state/route";
import { sortedRooms } from "./state/rooms";
import { me } from "./state/session";
import { Toasts } from "./ui/Toast";

function Welcome() {
  return (
    <section class="conversation empty" aria-label="No conversation selected">
      <div class="empty-state">
        <img src="/favicon.svg" alt="" width="56" height="56" />
        <h1>Welcome to Parley</h1>
        <p class="muted">
          {sortedRooms().length ? "Pick a conversation on the left, or start a new one." : "Create a room, browse public rooms or message someone by username to get started."}
        </p>
      </div>
    </section>
  );
}

export function App() {
  // Unread total in the tab title.
  createEffect(() => {
    const n = me() ? sortedRooms().reduce((sum, r) => sum + (r.id === currentRoom() ? 0 : (r.unread ?? 0)), 0) : 0;
    document.title = n ? `(${n > 99 ? "99+" : n}) Parley` : "Parley";
  });
  return (
    <>
      <Switch>
        <Match when={!me()}>
          <AuthScreen />
        </Match>
        <Match when={me()}>
          <div class="shell" classList={{ "has-room": !!currentRoom() }}>
            <ConnectionBanner />
            <div class="panes">
              <Sidebar />
              <Show when={currentRoom()} keyed fallback={<Welcome />}>
                {(id) => <Conversation roomId={id} />}
              </Show>
            </div>
          </div>
        </Match>
      </Switch>
      <Toasts />
    </>
  );
}
