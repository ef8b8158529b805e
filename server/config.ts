// Settings from flags and env → one validated Config. Only main.ts calls loadConfig.

import { isAbsolute, join, resolve } from "node:path";
import { busKind } from "./adapters/bus";
import { parseTrustProxy } from "./features/auth/client-address";

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  /** Pub/sub between nodes: "" = in-process (one node), redis://… or nats://…. */
  busUrl: string;
  /** Proxies whose X-Forwarded-For is believed for the client address: addresses or CIDR ranges, normalized; empty = none. */
  trustProxy: string[];
  allowedOrigins: string[];
  jwtSecret: string | undefined;
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "auto" | "json" | "text";
  benchMode: boolean;
  /** Frames that write (send/edit/delete/react): token bucket per user. */
  writeBurst: number;
  writeRatePerSec: number;
  /** Other frames (history, typing, read, ping…). */
  readBurst: number;
  readRatePerSec: number;
  /** Rejected frames within 10 s that close the socket with 4008. */
  floodCloseAfter: number;
  /** Authenticated HTTP calls per user. */
  httpBurst: number;
  httpRatePerSec: number;
  replayLimit: number;
  helloTimeoutMs: number;
  wsBacklogBytes: number;
  registerPerIpPer10Min: number;
  loginFailuresPerWindow: number;
  maxConcurrentHashes: number;
  hashMemoryKiB: number;
  hashTimeCost: number;
  shutdownTimeoutMs: number;
  /** libSQL file: "full" fsyncs every group commit before its acks; "normal" may lose the last commits on power loss (docs/reliability.md). */
  durability: "full" | "normal";
  /** "" = /metrics is open (expose it only to the scraper); else it needs `Authorization: Bearer <token>`. */
  metricsToken: string;
  uploadMaxBytes: number;
  /** Presence: how long a user with no connection stays online before "offline" is announced. */
  presenceGraceMs: number;
  /** Presence: inactivity before a user is shown away. */
  awayAfterMs: number;
  pushSubject: string;
  /** Lets Web Push post to http://127.0.0.1 endpoints: for testing against a local push service only. */
  pushAllowLoopbackHttp: boolean;
  /** Link previews: "on" (default) fetches the first http(s) link of each message; "off" never fetches. */
  previews: "on" | "off";
  /** Link previews may fetch private, loopback and link-local addresses (testing only). */
  previewsAllowPrivate: boolean;
  /** A preview's page (and image) is given up after this many ms. */
  previewTimeoutMs: number;
  /** Mail for what a user missed: off unless set (smtp://user:pass@host:port or smtps://…). */
  smtpUrl: string;
  /** The From: of those mails. */
  mailFrom: string;
  /** Seconds offline before a user is mailed what they missed; also the least time between two mails to them. */
  mailAfterSec: number;
  /** The address people open (https://chat.example.com), no trailing slash; "" = the request's own origin. */
  publicUrl: string;
  /** Who may create an account: anyone, holders of an invite, or nobody (the first account always may). */
  registration: "open" | "invite" | "closed";
  /** Single sign-on (features/auth/oidc.ts): off while oidcIssuer is "". */
  oidcIssuer: string;
  oidcClientId: string;
  /** "" = a public client (PKCE only, no secret). */
  oidcClientSecret: string;
  /** The button label: "Sign in with <oidcName>". */
  oidcName: string;
  /** "open": the provider's users get accounts whatever --registration says; "invite": --registration applies to them too. */
  oidcRegistration: "open" | "invite";
  /** Messages older than this many days are expired by a background job (features/expiry/scan.ts); 0 = kept forever. */
  retentionDays: number;
}

interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  def: string;
  help: string;
  kind: "int" | "string" | "bool" | "list";
}

export const SETTINGS: Setting[] = [
  { key: "port", flag: "--port", env: "PORT", def: "3000", help: "HTTP/WebSocket port (0 = any free port)", kind: "int" },
  { key: "host", flag: "--host", env: "HOST", def: "0.0.0.0", help: "interface to listen on", kind: "string" },
  { key: "dataDir", flag: "--data", env: "PARLEY_DATA_DIR", def: "./data", help: "data directory (database, secrets, uploads)", kind: "string" },
  { key: "databaseUrl", flag: "--db", env: "DATABASE_URL", def: "", help: "libSQL URL (file: or remote) or postgres://…; default file:<data>/parley.db", kind: "string" },
  { key: "busUrl", flag: "--bus", env: "PARLEY_BUS_URL", def: "", help: "pub/sub between nodes: redis://host:port or nats://host:port; default in-process (one node)", kind: "string" },
  { key: "trustProxy", flag: "--trust-proxy", env: "PARLEY_TRUST_PROXY", def: "", help: "comma-separated proxy addresses or CIDR ranges (10.0.0.0/8, fd00::/8) whose X-Forwarded-For gives the client address (off by default)", kind: "list" },
  { key: "allowedOrigins", flag: "--origin", env: "PARLEY_ALLOWED_ORIGINS", def: "", help: "comma-separated WebSocket origins allowed besides same-origin", kind: "list" },
  { key: "jwtSecret", flag: "--jwt-secret", env: "PARLEY_JWT_SECRET", def: "", help: "token signing secret; default generated into <data>/jwt.secret (0600)", kind: "string" },
  { key: "accessTokenTtlSec", flag: "--access-ttl", env: "PARLEY_ACCESS_TTL", def: "900", help: "access token lifetime, seconds", kind: "int" },
  { key: "refreshTokenTtlSec", flag: "--refresh-ttl", env: "PARLEY_REFRESH_TTL", def: "2592000", help: "refresh token lifetime, seconds", kind: "int" },
  { key: "logLevel", flag: "--log-level", env: "LOG_LEVEL", def: "info", help: "debug|info|warn|error", kind: "string" },
  { key: "logFormat", flag: "--log-format", env: "PARLEY_LOG_FORMAT", def: "auto", help: "json: one JSON object a line; text: a line for people; auto: text when stdout is a terminal, else json", kind: "string" },
  { key: "benchMode", flag: "--bench-mode", env: "PARLEY_BENCH_MODE", def: "false", help: "lift registration/message rate limits and use a cheap password hash; loopback only", kind: "bool" },
  { key: "writeBurst", flag: "--write-burst", env: "PARLEY_WRITE_BURST", def: "20", help: "write frames (send/edit/delete/react) burst per user", kind: "int" },
  { key: "writeRatePerSec", flag: "--write-rate", env: "PARLEY_WRITE_RATE", def: "5", help: "write frames per second sustained per user", kind: "int" },
  { key: "readBurst", flag: "--read-burst", env: "PARLEY_READ_BURST", def: "100", help: "other frames burst per user", kind: "int" },
  { key: "readRatePerSec", flag: "--read-rate", env: "PARLEY_READ_RATE", def: "30", help: "other frames per second sustained per user", kind: "int" },
  { key: "httpBurst", flag: "--http-burst", env: "PARLEY_HTTP_BURST", def: "60", help: "authenticated HTTP requests burst per user", kind: "int" },
  { key: "httpRatePerSec", flag: "--http-rate", env: "PARLEY_HTTP_RATE", def: "20", help: "authenticated HTTP requests per second sustained per user", kind: "int" },
  { key: "floodCloseAfter", flag: "--flood-close-after", env: "PARLEY_FLOOD_CLOSE_AFTER", def: "100", help: "rejected frames within 10 s before close 4008", kind: "int" },
  { key: "replayLimit", flag: "--replay-limit", env: "PARLEY_REPLAY_LIMIT", def: "500", help: "events replayed per room on resume before a gap", kind: "int" },
  { key: "helloTimeoutMs", flag: "--hello-timeout", env: "PARLEY_HELLO_TIMEOUT", def: "10000", help: "ms a new socket has to send hello", kind: "int" },
  { key: "wsBacklogBytes", flag: "--ws-backlog", env: "PARLEY_WS_BACKLOG", def: "1048576", help: "bytes queued for a slow socket before it is closed", kind: "int" },
  { key: "registerPerIpPer10Min", flag: "--register-limit", env: "PARLEY_REGISTER_LIMIT", def: "20", help: "registrations per IP per 10 minutes", kind: "int" },
  { key: "loginFailuresPerWindow", flag: "--login-limit", env: "PARLEY_LOGIN_LIMIT", def: "10", help: "failed logins per username and per IP per 15 minutes", kind: "int" },
  { key: "maxConcurrentHashes", flag: "--hash-concurrency", env: "PARLEY_HASH_CONCURRENCY", def: "4", help: "password hashes computed at once", kind: "int" },
  { key: "hashMemoryKiB", flag: "--hash-memory", env: "PARLEY_HASH_MEMORY", def: "65536", help: "argon2id memory per hash, KiB (bench mode: 19456)", kind: "int" },
  { key: "hashTimeCost", flag: "--hash-time", env: "PARLEY_HASH_TIME", def: "2", help: "argon2id passes", kind: "int" },
  { key: "uploadMaxBytes", flag: "--upload-max", env: "PARLEY_UPLOAD_MAX", def: "26214400", help: "largest upload, bytes", kind: "int" },
  { key: "presenceGraceMs", flag: "--presence-grace", env: "PARLEY_PRESENCE_GRACE", def: "5000", help: "ms after the last connection closes before offline is announced", kind: "int" },
  { key: "awayAfterMs", flag: "--away-after", env: "PARLEY_AWAY_AFTER", def: "300000", help: "ms without activity before a user is away", kind: "int" },
  { key: "pushSubject", flag: "--push-subject", env: "PARLEY_PUSH_SUBJECT", def: "mailto:admin@localhost", help: "VAPID contact (mailto: or https:) sent to push services", kind: "string" },
  { key: "pushAllowLoopbackHttp", flag: "--push-allow-loopback-http", env: "PARLEY_PUSH_ALLOW_LOOPBACK_HTTP", def: "false", help: "allow http://127.0.0.1 push endpoints (testing only)", kind: "bool" },
  { key: "previews", flag: "--previews", env: "PARLEY_PREVIEWS", def: "on", help: "link previews: on (fetch the first http(s) link of a message; never private addresses) | off", kind: "string" },
  { key: "previewsAllowPrivate", flag: "--previews-allow-private", env: "PARLEY_PREVIEWS_ALLOW_PRIVATE", def: "false", help: "let link previews fetch private, loopback and link-local addresses (testing only)", kind: "bool" },
  { key: "previewTimeoutMs", flag: "--previews-timeout", env: "PARLEY_PREVIEWS_TIMEOUT", def: "5000", help: "ms before a link preview's page or image is given up", kind: "int" },
  { key: "smtpUrl", flag: "--smtp-url", env: "PARLEY_SMTP_URL", def: "", help: "smtp://user:pass@host:port (or smtps://): mail users what they missed; default off", kind: "string" },
  { key: "mailFrom", flag: "--mail-from", env: "PARLEY_MAIL_FROM", def: "Parley <parley@localhost>", help: "From: of the mails", kind: "string" },
  { key: "mailAfterSec", flag: "--mail-after", env: "PARLEY_MAIL_AFTER", def: "900", help: "seconds offline before a user is mailed their unread mentions and DMs; also the least time between two mails", kind: "int" },
  { key: "publicUrl", flag: "--public-url", env: "PARLEY_PUBLIC_URL", def: "", help: "the address people open (https://chat.example.com); the SSO callback is <public-url>/api/auth/oidc/callback; unset: the request's own origin", kind: "string" },
  { key: "oidcIssuer", flag: "--oidc-issuer", env: "PARLEY_OIDC_ISSUER", def: "", help: "OpenID Connect issuer URL (https://, or http://127.0.0.1 for a local provider); turns single sign-on on", kind: "string" },
  { key: "oidcClientId", flag: "--oidc-client-id", env: "PARLEY_OIDC_CLIENT_ID", def: "", help: "client id registered at the provider", kind: "string" },
  { key: "oidcClientSecret", flag: "--oidc-client-secret", env: "PARLEY_OIDC_CLIENT_SECRET", def: "", help: "client secret (empty: a public client, PKCE only)", kind: "string" },
  { key: "oidcName", flag: "--oidc-name", env: "PARLEY_OIDC_NAME", def: "SSO", help: "provider name on the \"Sign in with …\" button", kind: "string" },
  { key: "oidcRegistration", flag: "--oidc-registration", env: "PARLEY_OIDC_REGISTRATION", def: "open", help: "open: anyone the provider signs in gets an account; invite: --registration applies to SSO sign-ups too", kind: "string" },
  { key: "registration", flag: "--registration", env: "PARLEY_REGISTRATION", def: "invite", help: "who may sign up: open | invite (an invite code) | closed (admin commands only); the first account always may", kind: "string" },
  { key: "durability", flag: "--durability", env: "PARLEY_DURABILITY", def: "full", help: "full: every acked message is on disk (one fsync per group commit); normal: faster, but a power cut or OS crash can lose the last acked messages (a process crash cannot). libSQL file only", kind: "string" },
  { key: "metricsToken", flag: "--metrics-token", env: "PARLEY_METRICS_TOKEN", def: "", help: "bearer token /metrics requires (default: none, /metrics is open: expose it only to your scraper)", kind: "string" },
  { key: "retentionDays", flag: "--retention-days", env: "PARLEY_RETENTION_DAYS", def: "0", help: "delete messages older than this many days (tombstones stay, the seq log is intact; one node of a cluster does it); 0 = keep forever", kind: "int" },
  { key: "shutdownTimeoutMs", flag: "--shutdown-timeout", env: "PARLEY_SHUTDOWN_TIMEOUT", def: "10000", help: "ms to drain on SIGTERM before forcing exit", kind: "int" },
];

export class ConfigError extends Error {}

export function helpText(): string {
  const rows = SETTINGS.map((s) => `  ${(s.flag + (s.kind === "bool" ? "" : " <v>")).padEnd(24)} ${s.env.padEnd(26)} ${s.help} (default: ${s.def || "-"})`);
  return [
    "parley — self-hosted chat in one binary",
    "",
    "usage: parley [options]        run the server",
    "       parley bench [options]  run the benchmark suite (parley bench --help)",
    "       parley backup [options] <file>  copy the database consistently, even while serving",
    "       parley restore [options] <file>  put a backup in place of the database (server stopped)",
    "       parley export [options] <dir> / parley import [options] <dir>",
    "                               everything as JSONL files and blobs / into an empty store (libSQL or PostgreSQL)",
    "       parley migrate [options]  apply the schema migrations and exit (a start does it too)",
    "       parley doctor [options]   check settings, permissions, disk, database, migrations (ok/warn/fail)",
    "       parley invite create [--uses N] [--expires 7d] [--room NAME]...  print a sign-up link",
    "       parley user create|passwd|deactivate|reactivate|promote|demote <username>",
    "                               manage accounts (passwords from stdin); both take the server's --data/--db",
    "       parley migrate-store --from <url> --to <url> [--uploads DIR]",
    "                               copy everything into an empty database (a libSQL file into PostgreSQL",
    "                               to scale out); stop the server first. --uploads: a single node's upload",
    "                               files (default: uploads/ beside a file: source) for a PostgreSQL target",
    "",
    "  flag                     env                        meaning",
    ...rows,
    "  --help                                              this text",
  ].join("\n");
}

/** Builds a Config from argv and env; throws ConfigError with a clear message on bad input. */
export function loadConfig(argv: string[], env: Record<string, string | undefined>): Config {
  const raw = new Map<string, string>();
  for (const s of SETTINGS) if (env[s.env] !== undefined && env[s.env] !== "") raw.set(s.key, env[s.env]!);
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const s = SETTINGS.find((x) => x.flag === flag);
    if (!s) throw new ConfigError(`unknown option ${argv[i]} (see --help)`);
    if (s.kind === "bool" && inline === undefined) raw.set(s.key, "true");
    else {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ConfigError(`${flag} needs a value`);
      raw.set(s.key, v);
    }
  }
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const v = raw.get(s.key) ?? s.def;
    if (s.kind === "int") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${s.flag}/${s.env} must be a non-negative integer, got "${v}"`);
      out[s.key] = n;
    } else if (s.kind === "bool") {
      if (!["true", "false", "1", "0"].includes(v)) throw new ConfigError(`${s.flag}/${s.env} must be true or false, got "${v}"`);
      out[s.key] = v === "true" || v === "1";
    } else if (s.kind === "list") out[s.key] = v.split(",").map((x) => x.trim()).filter(Boolean);
    else out[s.key] = v;
  }
  const cfg = out as unknown as Config;
  if (cfg.port > 65535) throw new ConfigError(`--port must be ≤ 65535`);
  if (!["debug", "info", "warn", "error"].includes(cfg.logLevel)) throw new ConfigError(`--log-level must be debug|info|warn|error`);
  if (!["auto", "json", "text"].includes(cfg.logFormat)) throw new ConfigError(`--log-format must be auto|json|text`);
  if (cfg.durability !== "full" && cfg.durability !== "normal") throw new ConfigError(`--durability must be full|normal`);
  if (cfg.previews !== "on" && cfg.previews !== "off") throw new ConfigError(`--previews must be on|off, got "${cfg.previews}"`);
  if (cfg.smtpUrl && !/^smtps?:\/\//.test(cfg.smtpUrl)) throw new ConfigError("--smtp-url must be smtp://… or smtps://…");
  if (cfg.mailAfterSec < 60) throw new ConfigError("--mail-after must be at least 60 seconds");
  if (cfg.previewTimeoutMs < 100) throw new ConfigError("--previews-timeout must be at least 100 ms");
  if (!["open", "invite", "closed"].includes(cfg.registration)) throw new ConfigError(`--registration/PARLEY_REGISTRATION must be open|invite|closed, got "${cfg.registration}"`);
  cfg.dataDir = isAbsolute(cfg.dataDir) ? cfg.dataDir : resolve(cfg.dataDir);
  if (!cfg.databaseUrl) cfg.databaseUrl = "file:" + join(cfg.dataDir, "parley.db");
  if (busKind(cfg.busUrl) === undefined) throw new ConfigError(`--bus/PARLEY_BUS_URL must be redis://…, rediss://… or nats://… (or unset for one node), got a URL starting "${cfg.busUrl.split("//")[0].slice(0, 20)}"`);
  const proxies = parseTrustProxy(cfg.trustProxy);
  if (proxies.invalid.length > 0) {
    throw new ConfigError(`--trust-proxy/PARLEY_TRUST_PROXY takes IP addresses or CIDR ranges (10.0.0.0/8, fd00::/8), got ${proxies.invalid.map((x) => `"${x}"`).join(", ")}`);
  }
  cfg.trustProxy = proxies.entries;
  if (!cfg.jwtSecret) cfg.jwtSecret = undefined;
  else if (cfg.jwtSecret.length < 32) throw new ConfigError("--jwt-secret must be at least 32 characters");
  if (cfg.benchMode && !isLoopback(cfg.host)) {
    throw new ConfigError(`--bench-mode lifts rate limits and weakens password hashing; it is refused unless --host is loopback (127.0.0.1, ::1, localhost), got "${cfg.host}"`);
  }
  checkSso(cfg);
  if (cfg.hashMemoryKiB < 1024 || cfg.hashTimeCost < 1) throw new ConfigError("--hash-memory must be ≥ 1024 and --hash-time ≥ 1");
  if (cfg.benchMode) {
    cfg.hashMemoryKiB = Math.min(cfg.hashMemoryKiB, 19456); // OWASP's lowest recommended argon2id setting
    cfg.registerPerIpPer10Min = 1_000_000_000;
    cfg.writeBurst = cfg.writeRatePerSec = cfg.readBurst = cfg.readRatePerSec = cfg.httpBurst = cfg.httpRatePerSec = 1_000_000_000;
  }
  return cfg;
}

/** --public-url and the --oidc-* settings: the issuer must be https:// except on loopback (a test or local provider). */
function checkSso(cfg: Config): void {
  const url = (flag: string, v: string): URL => {
    try {
      return new URL(v);
    } catch {
      throw new ConfigError(`${flag} must be a URL, got "${v.slice(0, 40)}"`);
    }
  };
  cfg.publicUrl = cfg.publicUrl.replace(/\/+$/, "");
  if (cfg.publicUrl && !["http:", "https:"].includes(url("--public-url", cfg.publicUrl).protocol)) throw new ConfigError("--public-url must be http:// or https://");
  if (!["open", "invite"].includes(cfg.oidcRegistration)) throw new ConfigError(`--oidc-registration must be open or invite, got "${cfg.oidcRegistration}"`);
  if (!cfg.oidcIssuer) return;
  const issuer = url("--oidc-issuer", cfg.oidcIssuer);
  const loopback = issuer.protocol === "http:" && (issuer.hostname === "127.0.0.1" || issuer.hostname === "[::1]");
  if (issuer.protocol !== "https:" && !loopback) throw new ConfigError(`--oidc-issuer must be https:// (http:// only on 127.0.0.1 or [::1]), got "${cfg.oidcIssuer}"`);
  if (!cfg.oidcClientId) throw new ConfigError("--oidc-client-id is required with --oidc-issuer");
}

export function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost" || host.startsWith("127.");
}

/** Defaults for tests and tools that build a Config without argv. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig([], {});
  return { ...base, ...overrides, databaseUrl: overrides.databaseUrl ?? (overrides.dataDir ? "file:" + join(overrides.dataDir, "parley.db") : base.databaseUrl) };
}
