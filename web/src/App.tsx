// App shell: auth screen or the two-pane layout (sidebar + a conversation, account settings or administration; one pane on phones), plus banners and toasts.
import { Match, Switch } from "solid-js";
import { ConnectionBanner } from "./features/ConnectionBanner";
import { AccountPage } from "./features/account/AccountPage";
import { AdminPage } from "./features/admin/AdminPage";
import { AuthScreen } from "./features/auth/AuthScreen";
import { Conversation } from "./features/conversation/Conversation";
import { Sidebar } from "./features/sidebar/Sidebar";
import { trackUnread } from "./features/pwa/badge";
import { ShareDialog, UpdateBar } from "./features/pwa/PwaUi";
import { currentPage, currentRoom } from "./state/route";
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
  // Unread total on the app icon and in the title.
  trackUnread();
  return (
    <>
      <Switch>
        <Match when={!me()}>
          <AuthScreen />
        </Match>
        <Match when={me()}>
          <div class="shell" classList={{ "has-room": !!currentRoom() || !!currentPage() }}>
            <ConnectionBanner />
            <UpdateBar />
            <div class="panes">
              <Sidebar />
              <Switch fallback={<Welcome />}>
                <Match when={currentPage() === "account"}>
                  <AccountPage />
                </Match>
                <Match when={currentPage() === "admin"}>
                  <AdminPage />
                </Match>
                <Match when={currentRoom()} keyed>
                  {(id) => <Conversation roomId={id} />}
                </Match>
              </Switch>
            </div>
          </div>
        </Match>
      </Switch>
      <ShareDialog />
      <Toasts />
    </>
  );
}
