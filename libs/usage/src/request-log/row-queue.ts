/** How a queue weighs its rows, and how it makes one lighter before it drops any. */
export interface RowWeight<Row> {
  /** The most the queued rows may weigh together (approximate bytes). */
  maxBytes: number;
  bytesOf(row: Row): number;
  /** The row without what can go first (a logged body); undefined when it has nothing to shed. */
  lighten(row: Row): Row | undefined;
}

/** What a push or a put-back cost: rows made lighter and rows dropped to stay within bounds. */
export interface Shed {
  lightened: number;
  dropped: number;
}

const NO_WEIGHT: RowWeight<unknown> = {
  maxBytes: Number.POSITIVE_INFINITY,
  bytesOf: () => 0,
  lighten: () => undefined,
};

/**
 * A FIFO of rows bounded in rows and in approximate bytes. Past the byte bound the oldest rows are
 * made lighter first (their bodies go), then the oldest rows are dropped; past the row bound the
 * oldest rows are dropped. Rows leave in batches from the front; a batch that could not be written
 * goes back to the front (it is the oldest), where the next drop takes from it first. Array plus
 * head index, so neither taking nor dropping shifts the array per row.
 */
export class RowQueue<Row> {
  private rows: Row[] = [];
  private head = 0;
  /** Rows before this index have nothing left to shed; the next lightening starts here. */
  private lightenedUpTo = 0;
  private totalBytes = 0;
  private readonly weight: RowWeight<Row>;

  constructor(
    private readonly capacity: number,
    weight?: RowWeight<Row>,
  ) {
    this.weight = weight ?? (NO_WEIGHT as RowWeight<Row>);
  }

  get size(): number {
    return this.rows.length - this.head;
  }

  /** Approximate bytes held, as the weight counts them. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Adds a row; returns what was shed to make room. */
  push(row: Row): Shed {
    let dropped = 0;
    if (this.size >= this.capacity) {
      this.dropOldest();
      dropped = 1;
    }
    this.rows.push(row);
    this.totalBytes += this.weight.bytesOf(row);
    const shed = this.keepWithinBytes();
    this.compact();
    return { lightened: shed.lightened, dropped: dropped + shed.dropped };
  }

  /** Takes up to `count` of the oldest rows. */
  take(count: number): Row[] {
    const batch = this.rows.slice(this.head, this.head + count);
    this.head += batch.length;
    for (const row of batch) this.totalBytes -= this.weight.bytesOf(row);
    this.compact();
    return batch;
  }

  /** Puts an unwritten batch back in front; returns what was shed to stay within bounds. */
  putBack(batch: readonly Row[]): Shed {
    const room = Math.max(0, this.capacity - this.size);
    const kept = batch.slice(batch.length - Math.min(room, batch.length));
    this.rows = [...kept, ...this.rows.slice(this.head)];
    this.head = 0;
    this.lightenedUpTo = 0;
    for (const row of kept) this.totalBytes += this.weight.bytesOf(row);
    const shed = this.keepWithinBytes();
    return { lightened: shed.lightened, dropped: batch.length - kept.length + shed.dropped };
  }

  private keepWithinBytes(): Shed {
    let lightened = 0;
    let dropped = 0;
    this.lightenedUpTo = Math.max(this.lightenedUpTo, this.head);
    while (this.totalBytes > this.weight.maxBytes && this.lightenedUpTo < this.rows.length) {
      const row = this.rows[this.lightenedUpTo]!;
      const lighter = this.weight.lighten(row);
      if (lighter !== undefined) {
        this.totalBytes += this.weight.bytesOf(lighter) - this.weight.bytesOf(row);
        this.rows[this.lightenedUpTo] = lighter;
        lightened += 1;
      }
      this.lightenedUpTo += 1;
    }
    // Nothing left to shed: the oldest rows go, but never the row just pushed.
    while (this.totalBytes > this.weight.maxBytes && this.size > 1) {
      this.dropOldest();
      dropped += 1;
    }
    return { lightened, dropped };
  }

  private dropOldest(): void {
    this.totalBytes -= this.weight.bytesOf(this.rows[this.head]!);
    this.head += 1;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.lightenedUpTo = Math.max(0, this.lightenedUpTo - this.head);
      this.head = 0;
    }
  }
}
