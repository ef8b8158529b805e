// At most N pieces of work per turn of the event loop; the rest wait, in order, for the next turns.

/**
 * Why: the store driver answers synchronously, so an awaited chain of reads never gives the event
 * loop back. When many hellos become ready at once (their token checks finish together in a
 * reconnect storm), every one of them would read its rooms, catch up and send its welcome in the
 * same turn: turns of 0.3–0.8 s, during which the server accepts no connection, the listening
 * socket's queue (512 in Bun) overflows, and the kernel's SYN retransmissions make the dropped
 * clients wait seconds more while the server sits idle. With a gate, each turn does a bounded
 * slice and the loop accepts, reads and writes between slices.
 */
export class TurnGate {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly perTurn: number) {}

  /** undefined: go on now. A promise: wait for it (resolved in a later turn, first come first served). */
  enter(): Promise<void> | undefined {
    this.schedule();
    if (this.used < this.perTurn && this.waiting.length === 0) {
      this.used++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Pieces waiting for a later turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.nextTurn);
  }

  private readonly nextTurn = () => {
    this.scheduled = false;
    const batch = this.waiting.splice(0, this.perTurn);
    this.used = batch.length;
    if (batch.length > 0) this.schedule();
    for (const go of batch) go();
  };
}
