// drizzle-kit: generates PostgreSQL migrations into drizzle-pg/ from server/db/schema.pg.ts.
import { defineConfig } from "drizzle-kit";
export default defineConfig({ dialect: "postgresql", schema: "./server/db/schema.pg.ts", out: "./drizzle-pg" });
