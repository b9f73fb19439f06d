/**
 * A FIFO of rows with a hard capacity: pushing into a full queue drops the oldest row. Rows leave
 * in batches from the front; a batch that could not be written goes back to the front (it is the
 * oldest), where the next drop takes from it first. Array plus head index, so neither taking nor
 * dropping shifts the array per row.
 */
export class RowQueue<Row> {
  private rows: Row[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.rows.length - this.head;
  }

  /** Adds a row; returns how many old rows were dropped to make room (0 or 1). */
  push(row: Row): number {
    let dropped = 0;
    if (this.size >= this.capacity) {
      this.head += 1;
      dropped = 1;
    }
    this.rows.push(row);
    this.compact();
    return dropped;
  }

  /** Takes up to `count` of the oldest rows. */
  take(count: number): Row[] {
    const batch = this.rows.slice(this.head, this.head + count);
    this.head += batch.length;
    this.compact();
    return batch;
  }

  /** Puts an unwritten batch back in front; returns how many rows it dropped to stay within capacity. */
  putBack(batch: readonly Row[]): number {
    const room = Math.max(0, this.capacity - this.size);
    const kept = batch.slice(batch.length - Math.min(room, batch.length));
    this.rows = [...kept, ...this.rows.slice(this.head)];
    this.head = 0;
    return batch.length - kept.length;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }
}
