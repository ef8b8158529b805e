// Your account (1.1): display name, avatar, password, and the sessions list with sign-out per session. Errors reject as ApiError.
import { createStore } from "solid-js/store";
import { api, type SessionInfo } from "../lib/api";
import { applyUser } from "./me";
import { logout } from "./session";

export async function saveDisplayName(displayName: string): Promise<void> {
  applyUser((await api.updateMe({ displayName })).user);
}

export async function setAvatar(file: File): Promise<void> {
  const form = new FormData();
  form.append("file", file, file.name || "avatar");
  applyUser((await api.setAvatar(form)).user);
}

export async function removeAvatar(): Promise<void> {
  applyUser((await api.removeAvatar()).user);
}

/** Change the password; the server ends every other session. */
export async function changePassword(current: string, next: string): Promise<void> {
  await api.changePassword(current, next);
  await loadSessions();
}

const [sessions, setSessions] = createStore<{ list: SessionInfo[]; loaded: boolean; error: unknown }>({ list: [], loaded: false, error: undefined });
export { sessions };

export async function loadSessions(): Promise<void> {
  try {
    const { sessions: list } = await api.sessions();
    setSessions({ list: list.slice().sort((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt - a.lastUsedAt), loaded: true, error: undefined });
  } catch (e) {
    setSessions({ loaded: true, error: e });
  }
}

/** Sign a session out; ending the current one is logging out. */
export async function endSession(s: SessionInfo): Promise<void> {
  if (s.current) return logout();
  await api.endSession(s.id);
  setSessions("list", (l) => l.filter((x) => x.id !== s.id));
}
