/**
 * The consumer-wide fetch buffer budget (`consumer.fetch.maxBufferedBytes`): how much memory the
 * records fetched but not yet taken by the user may hold, across every partition of one
 * Consumer (and so of one ConsumerGroup member, which reads through one Consumer).
 *
 * What is counted is what is really kept alive. Delivered keys and values are zero-copy views: an
 * uncompressed record's bytes are a view into the buffer the response frame arrived in, so one
 * untaken record keeps that whole buffer (all partitions' data in that response) alive; a
 * compressed batch's records are views into that batch's decompressed buffer. Each such buffer is
 * a {@link Pin}, counted once (its full `byteLength`) from the first record delivered from it
 * until the last record referencing it has been taken by the user. With `consumer.copyValues` the
 * keys, values and header values are copied out, so a partition's untaken records pin only their
 * own copies.
 *
 * Records the user took and still keeps are not counted (the budget cannot see them): a retained
 * zero-copy value pins its whole buffer; copy it (or set `consumer.copyValues`) to keep messages.
 *
 * The fetch loops (one per broker) respect the budget: a Fetch asks for at most the unreserved
 * room (its `maxBytes`, and no more than an even share per loop), which is reserved until the
 * answer arrives. With no room left, partitions that still have messages to hand out wait; a
 * partition with nothing buffered AND a reader waiting on it (a pending `next()`, what a
 * `for await` does) still makes progress through an *overdraft*: its loop fetches it (and the
 * other partitions of that loop in the same state) with `maxBytes` 1 — Kafka always returns the
 * first record batch, so the answer brings one batch — then waits again. A partition nobody reads
 * is never fetched over the budget. So, while the user takes nothing, the bytes buffered stay
 * within the budget plus what one answer may bring beyond its `maxBytes` per broker (Kafka sends
 * the first record batch of an answer whole) plus the answer's per-partition headers (the frame
 * is kept whole). A user who reads a partition while the budget is spent by others gets one
 * batch at a time for it, and keeps at most that batch's buffer beyond the budget per partition
 * being read: what reading batch-sized records needs anyway.
 *
 * Compressed batches are counted by their decompressed size (what their records keep alive),
 * while a Fetch's `maxBytes` limits compressed bytes: one answer of highly compressed batches can
 * overshoot the budget by its compression ratio; nothing more is fetched (but overdrafts) until
 * it has been taken.
 *
 * @module
 */

/** @internal memory kept alive by delivered, untaken records: one buffer (or one partition's copies). */
export interface Pin {
  /** Bytes counted against the budget. */
  bytes: number;
  /** Segments (one partition's delivery from one answer) still holding it. */
  refs: number;
  /** The buffer it stands for (undefined for private copies). */
  key: ArrayBufferLike | undefined;
}

/** @internal one partition's records from one Fetch answer, until the user has taken them all. */
export interface Segment {
  /** Pins its records hold (usually one). */
  pins: Pin[];
  /** Records pushed to the partition's channel. */
  pushed: number;
  /** Records the user took (or that were dropped). */
  taken: number;
  /** Still being filled by the delivery. */
  open: boolean;
}

/**
 * @internal The budget of one Consumer: bytes pinned by untaken records (`used`) plus bytes that
 * fetches in flight may bring (`reserved`) are kept within `limit`.
 */
export class FetchBudget {
  /** The limit, in bytes (`consumer.fetch.maxBufferedBytes`). */
  readonly limit: number;
  #used = 0;
  #reserved = 0;
  #peak = 0;
  #loops = 0;
  #pins = new Map<ArrayBufferLike, Pin>();
  #waiters = new Set<() => void>();

  /** @param limit the budget in bytes */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes pinned by fetched records the user has not taken. */
  get used(): number {
    return this.#used;
  }

  /** Bytes reserved by fetches in flight. */
  get reserved(): number {
    return this.#reserved;
  }

  /** The highest `used` seen. */
  get peak(): number {
    return this.#peak;
  }

  /** Room for new fetches: the limit minus what is pinned and reserved (can be negative). */
  room(): number {
    return this.limit - this.#used - this.#reserved;
  }

  /** A fetch loop started (+1) or ended (-1): the room is shared evenly between running loops. */
  loopRunning(delta: number): void {
    this.#loops = Math.max(0, this.#loops + delta);
  }

  /**
   * How many bytes the next Fetch of a loop may ask for: the room, at most `requestMax` and an
   * even share of the limit per running loop; 0 when there is no room (then only partitions with
   * nothing buffered and a reader waiting are fetched, and the answer brings one record batch).
   */
  grant(requestMax: number): number {
    const room = this.room();
    if (room <= 0) return 0;
    const share = Math.ceil(this.limit / Math.max(1, this.#loops));
    return Math.min(room, requestMax, share);
  }

  /** Reserves `n` bytes for a fetch in flight. */
  reserve(n: number): void {
    this.#reserved += n;
  }

  /**
   * Releases a reservation (the answer arrived, or the fetch failed). Returns whether that woke
   * loops waiting for room: the caller lets them take their turn before it asks again.
   */
  unreserve(n: number): boolean {
    this.#reserved = Math.max(0, this.#reserved - n);
    return n > 0 && this.#notify();
  }

  /** A segment's records hold `buffer`: counted once, in full, until no segment holds it. */
  pinBuffer(buffer: ArrayBufferLike): Pin {
    let pin = this.#pins.get(buffer);
    if (!pin) {
      pin = { bytes: buffer.byteLength, refs: 0, key: buffer };
      this.#pins.set(buffer, pin);
      this.#add(pin.bytes);
    }
    pin.refs++;
    return pin;
  }

  /** A pin of copied bytes owned by one segment (`consumer.copyValues`); grow it with {@link grow}. */
  privatePin(): Pin {
    return { bytes: 0, refs: 1, key: undefined };
  }

  /** Counts `n` more bytes on a private pin. */
  grow(pin: Pin, n: number): void {
    pin.bytes += n;
    this.#add(n);
  }

  /** A segment lets go of `pin`; the last one releases its bytes. */
  release(pin: Pin): void {
    if (--pin.refs > 0) return;
    if (pin.key !== undefined) this.#pins.delete(pin.key);
    this.#used -= pin.bytes;
    this.#notify();
  }

  /** Calls `wake` once, the next time room is released. */
  whenRoom(wake: () => void): void {
    this.#waiters.add(wake);
  }

  #add(n: number): void {
    this.#used += n;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  #notify(): boolean {
    if (this.#waiters.size === 0 || this.room() <= 0) return false;
    const list = [...this.#waiters];
    this.#waiters.clear();
    for (const w of list) w();
    return true;
  }
}
