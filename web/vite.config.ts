// Vite build config for the Parley web client (root web/, output web/dist).
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { fileURLToPath } from "node:url";
import { pwa } from "./src/features/pwa/vite-plugin.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  // pwa: icons, manifest and the service worker's precache list, all made from this build (see src/features/pwa/).
  plugins: [solid(), pwa({ source: root + "public/favicon.svg" })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2020",
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3000",
      "/ws": { target: "ws://127.0.0.1:3000", ws: true },
    },
  },
});
