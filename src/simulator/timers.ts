// Every timer the simulator starts for an answer (latency, drip), so close() can stop them all and
// nothing writes to a socket after it.

export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  closed = false;

  /** Runs fn after ms, unless the simulator closed meanwhile. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.pending.add(t);
  }

  /** Runs fn every ms until the returned stop is called (or the simulator closes). */
  every(ms: number, fn: () => void): () => void {
    const t = setInterval(fn, ms);
    this.pending.add(t);
    return () => {
      clearInterval(t);
      this.pending.delete(t);
    };
  }

  close(): void {
    this.closed = true;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
