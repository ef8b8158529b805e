// The single writer: drains a queue of appends into group-committed store transactions, then publishes.

import type { Bus } from "../../ports/bus";
import { publishEvent } from "../../realtime/publish";
import type { Appended, NewEvent, Store } from "../../ports/store";
import type { Logger } from "../../ports/runtime";
import { SECONDS_BUCKETS, type Metrics } from "../../metrics";

export interface Written extends Appended {
  /** The event serialized once; acks and fan-out reuse this string. */
  eventJson: string;
}

interface Job {
  events: NewEvent[];
  resolve(r: Written[]): void;
  reject(e: unknown): void;
}

/** Events in one transaction at most; larger bursts become several back-to-back transactions. */
const MAX_BATCH_EVENTS = 2048;

export interface Writer {
  /**
   * Resolves once the event is committed (never before). The bus gets it ACK_HOPS rounds of
   * microtasks later, so the caller's continuations (the gateway's ack) run first: the sender sees
   * its `ok` before its own `event`.
   */
  append(e: NewEvent): Promise<Written>;
  /** Several events in one transaction (a room with its first members, for instance). */
  appendAll(es: NewEvent[]): Promise<Written[]>;
  /** Resolves when everything queued so far is committed, acked and published. */
  drain(): Promise<void>;
  readonly stats: { batches: number; events: number; readonly queued: number };
}

const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

/**
 * How many rounds of microtasks the fan-out waits after a batch's acks are resolved. Each ack is a
 * continuation of the writer's promise a few hops deep (the service, then the gateway's `ok`: REL-4
 * fails at 1 hop and passes at 3); 16 leaves room for a few more awaits that do no I/O.
 */
const ACK_HOPS = 16;
function afterMicrotasks(rounds: number): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < rounds; i++) p = p.then(() => undefined);
  return p;
}

/**
 * Group commit's pace: a commit starts at least this long after the previous one started when its
 * first send comes from another sender than the previous commit's last. Every commit costs ~250 µs of
 * CPU whatever it holds (BEGIN, the statements' fixed part, the WAL writes and the fsync, the
 * writer's own turn); at 1,000 msgs/s from 100 senders commits held 1.17 sends each, and waiting
 * makes them hold ~4 (docs/benchmarks.md, "Commit pace"). A quiet room's send, or one sender
 * sending back to back (it waits for each ok, so nobody else could join its commit), never waits.
 * Like PostgreSQL's commit_delay with commit_siblings.
 */
export const COMMIT_PACE_MS = 4;

export function createWriter(store: Store, bus: Bus, log: Logger, metrics?: Metrics, pace = COMMIT_PACE_MS): Writer {
  const observeBatch = metrics?.histogram("parley_write_batch_events", "events per group commit", BATCH_BUCKETS);
  const observeCommit = metrics?.histogram("parley_commit_seconds", "time of one group commit's store transaction (the fsync included)", SECONDS_BUCKETS);
  const observePublish = metrics?.histogram("parley_commit_to_publish_seconds", "from a commit's end to its events' publish on the bus (the acks go out in between)", SECONDS_BUCKETS);
  let queue: Job[] = [];
  let running = false;
  let idle: (() => void)[] = [];
  let published: Promise<void> = Promise.resolve();
  let lastCommit: { at: number; sender?: string } = { at: -Infinity };
  const stats = {
    batches: 0,
    events: 0,
    get queued() {
      return queue.reduce((n, j) => n + j.events.length, 0);
    },
  };

  function schedule() {
    if (running) return;
    running = true;
    // Sends that arrive in the same tick join this transaction; under a steady flow from several
    // senders the commit also waits out the pace (see COMMIT_PACE_MS).
    const wait = lastCommit.at + pace - performance.now();
    if (wait > 0 && queue[0].events[0]?.sender !== lastCommit.sender) setTimeout(loop, wait);
    else setImmediate(loop);
  }

  async function loop() {
    while (queue.length > 0) {
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take].events.length <= MAX_BATCH_EVENTS)) n += queue[take++].events.length;
      const jobs = queue.slice(0, take);
      queue = queue.slice(take);
      await commit(jobs);
    }
    await published; // idle means published too
    running = false;
    if (queue.length > 0) return schedule(); // appended meanwhile: paced like any other
    for (const f of idle.splice(0)) f();
  }

  async function commit(jobs: Job[]) {
    let results: Appended[];
    const started = performance.now();
    const last = jobs[jobs.length - 1].events;
    lastCommit = { at: started, sender: last[last.length - 1]?.sender };
    try {
      results = await store.append(jobs.flatMap((j) => j.events));
    } catch (e) {
      if (jobs.length === 1) return jobs[0].reject(e);
      // One bad job must not fail the others: retry each in its own transaction.
      log.warn("batch failed, retrying jobs one by one", { jobs: jobs.length, err: String(e) });
      for (const j of jobs) await commit([j]);
      return;
    }
    stats.batches++;
    stats.events += results.length;
    const committed = performance.now();
    observeBatch?.(results.length);
    observeCommit?.((committed - started) / 1000);
    let k = 0;
    const out: Written[][] = jobs.map((j) => j.events.map(() => toWritten(results[k++])));
    // Acks first: resolving runs every caller's continuation (service, then the gateway's ok) as
    // microtasks; the fan-out follows ACK_HOPS rounds of microtasks later, in the same event-loop turn,
    // in seq order (each batch's chain started before the next one's, so batches go out in commit
    // order). A client that crashes between the two has its ok, so less to reconcile. Only a reply that
    // awaits more I/O after the commit can come after its event. Until 2026-12-03 the fan-out waited
    // for a setImmediate, i.e. the next turn, after that turn's incoming frames: 10–25 ms per batch at
    // saturation, and fanout p99 at 100,000 deliveries/s 207–215 ms against 78–110 ms now (docs/benchmarks.md).
    jobs.forEach((j, i) => j.resolve(out[i]));
    published = afterMicrotasks(ACK_HOPS).then(() => {
      try {
        observePublish?.((performance.now() - committed) / 1000);
        for (const w of out.flat()) if (!w.duplicate) publishEvent(bus, w);
      } catch (e) {
        log.error("fan-out failed", { err: String(e) });
      }
    });
  }

  function enqueue(events: NewEvent[]): Promise<Written[]> {
    return new Promise((resolve, reject) => {
      queue.push({ events, resolve, reject });
      schedule();
    });
  }

  return {
    stats,
    append: (e) => enqueue([e]).then((r) => r[0]),
    appendAll: (es) => enqueue(es),
    drain: () => (running || queue.length ? new Promise<void>((r) => idle.push(r)) : Promise.resolve()),
  };
}

function toWritten(a: Appended): Written {
  return { event: a.event, duplicate: a.duplicate, eventJson: JSON.stringify(a.event) };
}
