// Choosing the bus: by the URL's scheme, refused at startup when no adapter speaks it or the broker is not there.

import { expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../config";
import { createLogger } from "../../runtime";
import { freePort } from "../../test/cluster";
import { busKind, createBus } from ".";

const log = createLogger("error");

test("BUS-10 the scheme picks the adapter; loadConfig refuses any other scheme, naming the setting", async () => {
  expect(["", "redis://h:6379", "rediss://h:6380", "nats://h:4222", "amqp://h", "redis:/h"].map(busKind)).toEqual(["local", "redis", "redis", "nats", undefined, undefined]);
  expect(loadConfig(["--bus", "nats://127.0.0.1:4222"], {}).busUrl).toBe("nats://127.0.0.1:4222");
  expect(() => loadConfig([], { PARLEY_BUS_URL: "amqp://user:secret@h" })).toThrow(ConfigError);
  expect(() => loadConfig([], { PARLEY_BUS_URL: "amqp://user:secret@h" })).toThrow(/--bus\/PARLEY_BUS_URL must be redis:/);
  expect(() => loadConfig([], { PARLEY_BUS_URL: "amqp://user:secret@h" })).not.toThrow(/secret/);
  const local = await createBus("", log);
  expect(local.canLose).toBe(false);
  await local.close();
});

test("BUS-11 a bus whose broker cannot be reached fails startup with a clear error (Redis waits a few seconds for it first)", async () => {
  const port = freePort();
  await expect(createBus(`redis://127.0.0.1:${port}`, log)).rejects.toThrow(/cannot reach Redis/);
  await expect(createBus(`nats://127.0.0.1:${port}`, log)).rejects.toThrow(/cannot reach NATS/);
}, 15_000);
