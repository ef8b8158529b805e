// Inline SVG icons (stroke-based, currentColor).
import type { JSX } from "solid-js";

const base = (d: JSX.Element, size = 18) => (
  <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
    {d}
  </svg>
);

export const IconPlus = () => base(<path d="M12 5v14M5 12h14" />);
export const IconHash = (p: { size?: number }) => base(<path d="M4 9h16M4 15h16M10 3 8 21M16 3l-2 18" />, p.size ?? 16);
export const IconLock = (p: { size?: number }) => base(<><rect x="5" y="11" width="14" height="10" rx="2" /><path d="M8 11V7a4 4 0 0 1 8 0v4" /></>, p.size ?? 16);
export const IconSearch = () => base(<><circle cx="11" cy="11" r="7" /><path d="m20 20-3.5-3.5" /></>);
export const IconMessage = () => base(<path d="M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z" />);
export const IconBack = () => base(<path d="m15 18-6-6 6-6" />, 22);
export const IconSend = () => base(<path d="M22 2 11 13M22 2l-7 20-4-9-9-4 20-7z" />);
export const IconSmile = () => base(<><circle cx="12" cy="12" r="9" /><path d="M8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01" /></>, 16);
export const IconReply = () => base(<path d="M9 14 4 9l5-5M4 9h10a6 6 0 0 1 6 6v4" />, 16);
export const IconEdit = () => base(<path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z" />, 16);
export const IconTrash = () => base(<path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6" />, 16);
export const IconLogout = () => base(<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9" />);
export const IconBell = () => base(<path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0" />);
export const IconX = () => base(<path d="M18 6 6 18M6 6l12 12" />);
export const IconDown = () => base(<path d="M12 5v14M19 12l-7 7-7-7" />, 16);
export const IconUsers = () => base(<><circle cx="9" cy="8" r="4" /><path d="M2 21a7 7 0 0 1 14 0M16 4a4 4 0 0 1 0 8M22 21a7 7 0 0 0-4-6.3" /></>, 16);
export const IconUserPlus = () => base(<><circle cx="9" cy="8" r="4" /><path d="M2 21a7 7 0 0 1 14 0M19 8v6M16 11h6" /></>);
export const IconDoorOut = () => base(<path d="M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4M10 16l-4-4 4-4M6 12h10" />);
