// drizzle-kit: generates SQL migrations into drizzle/ from server/db/schema.ts.
import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "sqlite", schema: "./server/db/schema.ts", out: "./drizzle" });
