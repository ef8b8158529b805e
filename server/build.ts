// `make build`: compiles dist/parley, one executable carrying the server, its migrations and the web client.

import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** libsql picks its native addon with a computed require(), which the compiler cannot follow: name it. */
const libsqlNative = {
  name: "libsql-native",
  setup(build: import("bun").PluginBuilder) {
    build.onLoad({ filter: /node_modules[\\/]libsql[\\/]index\.js$/ }, async (args) => {
      const src = await Bun.file(args.path).text();
      const target = `@libsql/${process.platform}-${process.arch}-gnu`;
      return { contents: src.replace("require(`@libsql/${target}`)", `require(${JSON.stringify(target)})`), loader: "js" };
    });
  },
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

export async function buildBinary(outfile = join(ROOT, "dist/parley")): Promise<string> {
  const web = join(ROOT, "web/dist");
  let assets: string[] = [];
  try {
    assets = files(web);
  } catch {
    console.warn("build: web/dist is missing; the binary will serve no client (run `make web` first)");
  }
  // An entry that imports every client file as an embedded file, then starts the server.
  const entry = join(ROOT, `server/.build-entry-${process.pid}.ts`);
  writeFileSync(entry, [...assets.map((a) => `import ${JSON.stringify("./" + relative(join(ROOT, "server"), a))} with { type: "file" };`), `import "./main.ts";`, ""].join("\n"));
  try {
    mkdirSync(join(outfile, ".."), { recursive: true });
    const r = await Bun.build({
      entrypoints: [entry],
      root: ROOT,
      compile: { outfile },
      // No identifier renaming: Elysia recognises TypeBox's TransformDecodeError by its class name
      // (`error.constructor.name`), and a renamed class made it swallow the error of every failed
      // t.Numeric check, so the binary took `limit=-2`. Bun's keepNames does not keep class names yet.
      // Whitespace and syntax minification cost no names (0.6 MB and no measurable RSS: docs/benchmarks.md).
      minify: { whitespace: true, syntax: true },
      sourcemap: "none",
      // Modules imported with `await import()` (commands, PostgreSQL, Redis, NATS, web-push, mail, single
      // sign-on, the bench) become chunks of their own in the binary, read and parsed only when imported:
      // the server on its defaults starts ~3 MB smaller (docs/benchmarks.md, "Start-up memory").
      splitting: true,
      naming: { asset: "[dir]/[name].[ext]" },
      plugins: [libsqlNative],
    });
    if (!r.success) throw new Error("build failed:\n" + r.logs.join("\n"));
  } finally {
    rmSync(entry, { force: true });
  }
  return outfile;
}

if (import.meta.main) {
  const out = await buildBinary(process.argv[2]);
  console.log(`built ${relative(process.cwd(), out)} (${(statSync(out).size / 1e6).toFixed(1)} MB)`);
}
