// Dev helper (not a test): boots the real server via the harness on a fixed port serving web/dist.
import { startServer } from "../../server/test/harness";

const port = Number(process.env.PORT ?? 3000);
const s = await startServer({ config: { port } });
console.log(`dev server on ${s.url}`);
process.on("SIGINT", () => void s.stop().then(() => process.exit(0)));
process.on("SIGTERM", () => void s.stop().then(() => process.exit(0)));
