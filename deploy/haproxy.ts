// deploy/haproxy.cfg pointed at other addresses: tests start HAProxy with the repository's exact settings.

import { readFileSync } from "node:fs";
import { join } from "node:path";

export const HAPROXY_CFG = join(import.meta.dir, "haproxy.cfg");

export interface HaproxyBackend {
  host: string;
  port: number;
}

const SECTION = /^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/;

/**
 * The content of deploy/haproxy.cfg with the first frontend listening on `frontendPort` (and on
 * `bindAddress` when given, else the file's own address) and the first backend's servers replaced
 * by `backends`, each keeping the options of the file's first server line. Every other line is
 * kept as is. Throws if the file no longer has the lines this rewrites, so a change is noticed.
 */
export function haproxyConfig(backends: HaproxyBackend[], frontendPort: number, bindAddress?: string, source = readFileSync(HAPROXY_CFG, "utf8")): string {
  if (backends.length === 0) throw new Error("haproxyConfig: at least one backend");
  for (const p of [frontendPort, ...backends.map((b) => b.port)]) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`haproxyConfig: bad port ${p}`);
  }
  const out: string[] = [];
  let section = "";
  let frontendSeen = false;
  let backendSeen = false;
  let bindDone = false;
  let serversDone = false;
  for (const line of source.split("\n")) {
    const head = SECTION.exec(line);
    if (head) {
      // Only the first frontend and the first backend are rewritten; "frontend#2" never matches.
      section = head[1] === "frontend" ? (frontendSeen ? "frontend#2" : "frontend") : head[1] === "backend" ? (backendSeen ? "backend#2" : "backend") : head[1];
      if (head[1] === "frontend") frontendSeen = true;
      if (head[1] === "backend") backendSeen = true;
      out.push(line);
      continue;
    }
    const bind = /^(\s+bind\s+)(\S*):(\d+)(.*)$/.exec(line);
    if (section === "frontend" && bind && !bindDone) {
      out.push(`${bind[1]}${bindAddress ?? bind[2]}:${frontendPort}${bind[4]}`);
      bindDone = true;
      continue;
    }
    const server = /^(\s+server\s+)(\S+)\s+(\S+)(.*)$/.exec(line);
    if (section === "backend" && server) {
      if (!serversDone) {
        const name = server[2].replace(/\d+$/, "");
        backends.forEach((b, i) => out.push(`${server[1]}${name}${i + 1} ${address(b)}${server[4]}`));
        serversDone = true;
      }
      continue;
    }
    out.push(line);
  }
  if (!bindDone) throw new Error("haproxyConfig: no `bind <addr>:<port>` line in the first frontend of haproxy.cfg");
  if (!serversDone) throw new Error("haproxyConfig: no `server` line in the first backend of haproxy.cfg");
  return out.join("\n");
}

/** HAProxy reads the last colon as the port separator; an IPv6 literal takes the ipv6@ prefix. */
function address(b: HaproxyBackend): string {
  return b.host.includes(":") ? `ipv6@${b.host}:${b.port}` : `${b.host}:${b.port}`;
}
