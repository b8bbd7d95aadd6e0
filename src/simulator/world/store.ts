// Jobs of one kind kept sorted by a numeric key (creation time or job id) with ties broken by id,
// so a list request is a slice of a ready array and never a sort.

export class SortedStore<T> {
  private items: T[] = [];
  private readonly byId = new Map<string, T>();
  /** Bumped on every change; caches of derived orders compare it. */
  version = 0;

  constructor(
    private readonly idOf: (item: T) => string,
    private readonly keyOf: (item: T) => number,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Ascending by key, then id. Do not mutate. */
  all(): readonly T[] {
    return this.items;
  }

  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  private compare(a: T, b: T): number {
    const d = this.keyOf(a) - this.keyOf(b);
    if (d !== 0) return d;
    const ia = this.idOf(a);
    const ib = this.idOf(b);
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  }

  /** Inserts, or replaces the item with the same id (re-positioning it if its key changed). */
  put(item: T): void {
    const id = this.idOf(item);
    if (this.byId.has(id)) this.delete(id);
    this.byId.set(id, item);
    const last = this.items[this.items.length - 1];
    if (last === undefined || this.compare(last, item) <= 0) {
      this.items.push(item);
    } else {
      let lo = 0;
      let hi = this.items.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.compare(this.items[mid] as T, item) <= 0) lo = mid + 1;
        else hi = mid;
      }
      this.items.splice(lo, 0, item);
    }
    this.version++;
  }

  delete(id: string): boolean {
    const item = this.byId.get(id);
    if (item === undefined) return false;
    this.byId.delete(id);
    let index = this.lowerBound(this.keyOf(item));
    while (index < this.items.length && this.items[index] !== item) index++;
    if (index < this.items.length) this.items.splice(index, 1);
    this.version++;
    return true;
  }

  clear(): void {
    this.items = [];
    this.byId.clear();
    this.version++;
  }

  /** First index whose key is >= key. */
  lowerBound(key: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyOf(this.items[mid] as T) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > key. */
  upperBound(key: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyOf(this.items[mid] as T) <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
