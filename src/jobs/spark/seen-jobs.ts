// The Spark tracker's memory of every job it saw in the last day: the last state of each, so
// a job that leaves the listing and comes back is never counted as finished twice.
//
// Held in typed arrays, not a Map of strings to objects: a day of churn is a few hundred
// thousand jobs that are no longer listed, and at ~150 bytes each (the id string, an object,
// a boxed timestamp, the map entry) that memory was the exporter's only growth poll after poll.
// Here a job costs 13 bytes a slot: a 64-bit hash of its id stands for the id, a state code and
// the second it was last seen. Two ids sharing a 64-bit hash would be taken for one job; with a
// million ids remembered the odds of that are about 3 in 100 million.

/** State codes: 0 marks an empty slot; the first 254 distinct states get 1..254. */
const EMPTY = 0;
const MAX_CODE = 254;
/** Any state past the first 254 distinct ones: it compares unequal to every state. */
const OVERFLOW = 255;
const OVERFLOW_STATE = "\u0000overflow";

const MIN_CAPACITY = 1024;
/** Linear probing stays short below this load; above it the table doubles. */
const MAX_LOAD = 0.7;
/** Below this load the table halves, so a burst of jobs does not hold memory for good. */
const MIN_LOAD = 0.15;

// The last hashPair() result: two module variables rather than an array allocated per job.
let hashLow = 0;
let hashHigh = 0;

/** Two independent 32-bit hashes of `text`, mixed to the end (murmur3's finaliser). */
function hashPair(text: string): void {
  let a = 0x9e3779b9 ^ text.length;
  let b = 0x85ebca6b ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    b = Math.imul(b ^ c, 0x1b873593);
    b = (b << 13) | (b >>> 19);
  }
  hashLow = fmix(a);
  hashHigh = fmix(b ^ 0x5bd1e995);
}

/** The 64-bit hash that stands for `id`, as 16 hex digits (for tests). */
export function idHash(id: string): string {
  hashPair(id);
  return hashHigh.toString(16).padStart(8, "0") + hashLow.toString(16).padStart(8, "0");
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class SeenJobs {
  private low = new Uint32Array(MIN_CAPACITY);
  private high = new Uint32Array(MIN_CAPACITY);
  private code = new Uint8Array(MIN_CAPACITY);
  /** Seconds since the epoch: a day's memory needs no finer clock. */
  private seenAt = new Uint32Array(MIN_CAPACITY);
  private count = 0;
  private readonly codes = new Map<string, number>();
  private readonly states: string[] = [""];

  get size(): number {
    return this.count;
  }

  /** Slots held (the tests check that the table shrinks). */
  get capacity(): number {
    return this.code.length;
  }

  /**
   * Remembers `id` in `state`, seen at `nowMs`, and returns the state it was remembered in
   * before (undefined when it was not). One hash and one probe per job and poll.
   */
  see(id: string, state: string, nowMs: number): string | undefined {
    hashPair(id);
    const low = hashLow;
    const high = hashHigh;
    const code = this.codeOf(state);
    let slot = this.find(low, high);
    let previous: string | undefined;
    if (slot >= 0) {
      const was = this.code[slot] as number;
      // An overflowed state reads as one no job is in, so it is always a change.
      previous = was === OVERFLOW ? OVERFLOW_STATE : this.states[was];
    } else {
      if ((this.count + 1) / this.code.length > MAX_LOAD) this.resize(this.code.length * 2);
      slot = this.freeSlot(low);
      this.low[slot] = low;
      this.high[slot] = high;
      this.count++;
    }
    this.code[slot] = code;
    this.seenAt[slot] = Math.floor(nowMs / 1000);
    return previous;
  }

  /**
   * `[hash, state, second last seen]` of every job remembered in one of `states` (the state
   * file keeps the finished ones); the hash is idHash()'s.
   */
  entries(states: readonly string[]): Array<[string, string, number]> {
    const out: Array<[string, string, number]> = [];
    for (let slot = 0; slot < this.code.length; slot++) {
      const code = this.code[slot] as number;
      if (code === EMPTY || code === OVERFLOW) continue;
      const state = this.states[code] as string;
      if (!states.includes(state)) continue;
      const hash =
        (this.high[slot] as number).toString(16).padStart(8, "0") +
        (this.low[slot] as number).toString(16).padStart(8, "0");
      out.push([hash, state, this.seenAt[slot] as number]);
    }
    return out;
  }

  /** Remembers a job by the hash `entries` gave, in `state`, last seen at `seenAtS` (seconds). */
  restore(hash: string, state: string, seenAtS: number): void {
    const high = Number.parseInt(hash.slice(0, 8), 16) >>> 0;
    const low = Number.parseInt(hash.slice(8, 16), 16) >>> 0;
    let slot = this.find(low, high);
    if (slot < 0) {
      if ((this.count + 1) / this.code.length > MAX_LOAD) this.resize(this.code.length * 2);
      slot = this.freeSlot(low);
      this.low[slot] = low;
      this.high[slot] = high;
      this.count++;
    }
    this.code[slot] = this.codeOf(state);
    this.seenAt[slot] = seenAtS;
  }

  /** Forgets every job last seen before `beforeMs`. */
  forgetBefore(beforeMs: number): void {
    const before = Math.floor(beforeMs / 1000);
    const code = this.code;
    for (let slot = 0; slot < code.length; slot++) {
      // The removal shifts a later entry into this slot: look at it again.
      while (code[slot] !== EMPTY && (this.seenAt[slot] as number) < before) this.remove(slot);
    }
    const capacity = code.length;
    if (capacity > MIN_CAPACITY && this.count / capacity < MIN_LOAD) {
      let next = capacity;
      while (next > MIN_CAPACITY && this.count / (next / 2) <= MAX_LOAD / 2) next /= 2;
      this.resize(next);
    }
  }

  private codeOf(state: string): number {
    let code = this.codes.get(state);
    if (code === undefined) {
      if (this.states.length > MAX_CODE) return OVERFLOW;
      code = this.states.length;
      this.states.push(state);
      this.codes.set(state, code);
    }
    return code;
  }

  private find(low: number, high: number): number {
    const mask = this.code.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.code[slot] === EMPTY) return -1;
      if (this.low[slot] === low && this.high[slot] === high) return slot;
    }
  }

  private freeSlot(low: number): number {
    const mask = this.code.length - 1;
    let slot = low & mask;
    while (this.code[slot] !== EMPTY) slot = (slot + 1) & mask;
    return slot;
  }

  /** Empties `slot` and moves later entries of its probe run back, so no lookup stops short. */
  private remove(slot: number): void {
    const mask = this.code.length - 1;
    let hole = slot;
    for (let next = (hole + 1) & mask; this.code[next] !== EMPTY; next = (next + 1) & mask) {
      const home = (this.low[next] as number) & mask;
      // The entry may fill the hole when its home is not cyclically inside (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (between) continue;
      this.low[hole] = this.low[next] as number;
      this.high[hole] = this.high[next] as number;
      this.code[hole] = this.code[next] as number;
      this.seenAt[hole] = this.seenAt[next] as number;
      hole = next;
    }
    this.code[hole] = EMPTY;
    this.count--;
  }

  private resize(capacity: number): void {
    const { low, high, code, seenAt } = this;
    this.low = new Uint32Array(capacity);
    this.high = new Uint32Array(capacity);
    this.code = new Uint8Array(capacity);
    this.seenAt = new Uint32Array(capacity);
    for (let from = 0; from < code.length; from++) {
      if (code[from] === EMPTY) continue;
      const slot = this.freeSlot(low[from] as number);
      this.low[slot] = low[from] as number;
      this.high[slot] = high[from] as number;
      this.code[slot] = code[from] as number;
      this.seenAt[slot] = seenAt[from] as number;
    }
  }
}
