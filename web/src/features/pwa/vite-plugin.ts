// Build-time only (imported by web/vite.config.ts): renders the icons from web/public/favicon.svg, writes the web app
// manifest, and fills the service worker's precache list with the files this build produced.
// Rasterizing uses resvg compiled to WebAssembly (a devDependency): no native addon, and nothing of it ships in the binary.
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve, sep } from "node:path";
import type { Plugin } from "vite";
import { ICONS, icoFromPng, iconSvg, injectPrecache, manifest, precacheList } from "./shell.ts";

let wasm: Promise<void> | undefined;
const ready = () => (wasm ??= initWasm(readFileSync(createRequire(import.meta.url).resolve("@resvg/resvg-wasm/index_bg.wasm"))));

function render(svg: string, size: number): Uint8Array {
  const r = new Resvg(svg, { fitTo: { mode: "width", value: size } });
  const png = r.render().asPng();
  r.free();
  return png;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

export function pwa(opts: { source: string }): Plugin {
  let outDir = "";
  return {
    name: "parley-pwa",
    apply: "build",
    enforce: "post",
    configResolved(c) {
      outDir = resolve(c.root, c.build.outDir);
    },
    async generateBundle() {
      await ready();
      const source = readFileSync(opts.source, "utf8");
      for (const icon of ICONS) {
        const png = render(iconSvg(source, icon), icon.size);
        this.emitFile({ type: "asset", fileName: icon.file, source: png });
        if (icon.file === "icons/favicon-32.png") this.emitFile({ type: "asset", fileName: "favicon.ico", source: icoFromPng(png, icon.size) });
      }
      this.emitFile({ type: "asset", fileName: "manifest.webmanifest", source: JSON.stringify(manifest(), null, 2) + "\n" });
    },
    // Everything is on disk now (bundle and public/): list it into sw.js.
    writeBundle() {
      const files = walk(outDir).map((f) => ({ path: relative(outDir, f).split(sep).join("/"), bytes: readFileSync(f) }));
      const sw = join(outDir, "sw.js");
      writeFileSync(sw, injectPrecache(readFileSync(sw, "utf8"), precacheList(files)));
    },
  };
}
