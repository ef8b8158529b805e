// HTTP routes for Web Push: the VAPID public key, and subscribing/unsubscribing a browser.

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import { MAX_ENDPOINT_LENGTH, type Push } from "./service";

// Shapes only; the service checks URL scheme and key bytes, so direct callers get the same checks.
const Subscription = t.Object({
  endpoint: t.String({ minLength: 1, maxLength: MAX_ENDPOINT_LENGTH }),
  // PushSubscription.toJSON() sends it; push services expire subscriptions by answering 404/410.
  expirationTime: t.Optional(t.Nullable(t.Number())),
  keys: t.Object({ p256dh: t.String({ maxLength: 128 }), auth: t.String({ maxLength: 64 }) }),
});

export function pushRoutes(ctx: Context, push: Push) {
  return new Elysia({ name: "push-routes" })
    .get("/api/push/key", async ({ request }) => {
      await authUser(ctx, request);
      return { publicKey: push.publicKey };
    })
    .post(
      "/api/push/subscriptions",
      async ({ request, body, set }) => {
        await push.subscribe((await authUser(ctx, request)).id, body);
        set.status = 201;
        return {};
      },
      { body: Subscription },
    )
    .delete(
      "/api/push/subscriptions",
      async ({ request, body, set }) => {
        await push.unsubscribe((await authUser(ctx, request)).id, body.endpoint);
        set.status = 204;
      },
      { body: t.Object({ endpoint: t.String({ minLength: 1, maxLength: MAX_ENDPOINT_LENGTH }) }) },
    );
}
