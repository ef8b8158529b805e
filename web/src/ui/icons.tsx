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
export const IconClip = () => base(<path d="m21 11-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7" />);
export const IconFile = () => base(<><path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z" /><path d="M14 3v6h6" /></>, 20);
export const IconDownload = () => base(<path d="M12 4v12M6 11l6 6 6-6M4 21h16" />, 16);
export const IconBellOff = (p: { size?: number }) => base(<path d="M13.7 21a2 2 0 0 1-3.4 0M18.6 13A17 17 0 0 1 18 8M6.3 6.3A6 6 0 0 0 6 8c0 7-3 9-3 9h14M18 8a6 6 0 0 0-9.3-5M2 2l20 20" />, p.size ?? 18);
export const IconBellSm = () => base(<path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0" />, 16);
export const IconSettings = () => base(<><circle cx="12" cy="12" r="3" /><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" /></>);
export const IconCompass = () => base(<><circle cx="12" cy="12" r="9" /><path d="m15.5 8.5-2 5-5 2 2-5z" /></>);
export const IconShield = () => base(<path d="M12 3 4 6v6c0 5 3.5 8 8 9 4.5-1 8-4 8-9V6z" />);
export const IconUser = () => base(<><circle cx="12" cy="8" r="4" /><path d="M4 21a8 8 0 0 1 16 0" /></>);
export const IconCopy = () => base(<><rect x="9" y="9" width="12" height="12" rx="2" /><path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" /></>, 16);
export const IconThread = () => base(<path d="M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12zM8 10h8M8 14h5" />, 16);
export const IconForward = () => base(<path d="m15 4 5 5-5 5M20 9H10a6 6 0 0 0-6 6v4" />, 16);
export const IconMic = () => base(<><rect x="9" y="3" width="6" height="11" rx="3" /><path d="M5 11a7 7 0 0 0 14 0M12 18v3" /></>);
export const IconPlay = () => base(<path d="M7 4v16l13-8z" />, 16);
export const IconPause = () => base(<path d="M7 4h3v16H7zM14 4h3v16h-3z" />, 16);
export const IconStop = () => base(<rect x="6" y="6" width="12" height="12" rx="2" />, 16);
