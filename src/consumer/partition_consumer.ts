/**
 * PartitionConsumer (Sarama's): one partition's messages and errors, fed by its leader's
 * {@link FetchLoop}. Its untaken messages are accounted against the Consumer's fetch budget
 * (`consumer.fetch.maxBufferedBytes`, see fetch_budget.ts) by the buffers they keep alive.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ErrMessageTooLarge } from "../errors.ts";
import type { FetchResponse } from "../protocol/apis/fetch.ts";
import { KError } from "../protocol/errors.ts";
import { type DecodedBatch, decodeRecordBatchesUntilError } from "../protocol/records.ts";
import { Channel } from "../util/channel.ts";
import type { Consumer } from "./consumer.ts";
import { ConsumerError, ConsumerErrors, type LogTruncationError } from "./errors.ts";
import type { FetchBudget, Pin, Segment } from "./fetch_budget.ts";
import type { FetchLoop } from "./fetch_loop.ts";

/**
 * A record as the consumer delivers it. Key, value and header values are views (no copy) into the
 * buffer they arrived in — the whole Fetch response frame for uncompressed batches, the batch's
 * decompressed bytes otherwise — so a message you keep keeps that whole buffer alive (often many
 * MiB, with other partitions' records). Copy what you keep (`value.slice()`), or set
 * `consumer.copyValues` to have every key, value and header value copied out on delivery.
 */
export interface ConsumerMessage {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset. */
  readonly offset: number;
  /** Key, or null. */
  readonly key: Uint8Array | null;
  /** Value, or null. */
  readonly value: Uint8Array | null;
  /** Headers. */
  readonly headers: readonly { key: string; value: Uint8Array | null }[];
  /** Create time or log-append time, in ms. */
  readonly timestamp: number;
  /**
   * The leader epoch of the record's batch (KIP-320), -1 if unknown. Commit it with the offset
   * (`PartitionOffsetManager.markOffset(offset + 1, metadata, leaderEpoch)`) so that a consumer
   * resuming from the commit can detect a log truncation.
   */
  readonly leaderEpoch: number;
}

/**
 * Sarama's `ConsumerInterceptor`: set in `consumer.interceptors`; `onConsume` sees every message
 * just before the reader gets it (e.g. to extract a trace context from its headers, or count it).
 * It runs on the fetch path: keep it cheap. One that throws is logged at warn on `config.logger`
 * and the message is delivered anyway.
 *
 * @example
 * ```ts
 * import { Consumer, type ConsumerInterceptor, type ConsumerMessage } from "@samsa/kafka";
 * let seen = 0;
 * const counting: ConsumerInterceptor = { onConsume: (_m: ConsumerMessage) => void seen++ };
 * const consumer = await Consumer.connect(["127.0.0.1:9092"], { consumer: { interceptors: [counting] } });
 * await consumer.close();
 * ```
 */
export interface ConsumerInterceptor {
  /** Called with each message before it is delivered. */
  onConsume(msg: ConsumerMessage): void;
}

// Fetch errors after which the partition's leader must be looked up again (Java's FetchCollector:
// they request a metadata update), then fetched again after consumer.retry.backoff.
const REFRESH_METADATA = new Set<number>([
  KError.NotLeaderOrFollower,
  KError.ReplicaNotAvailable,
  KError.FencedLeaderEpoch,
  KError.UnknownLeaderEpoch,
  KError.OffsetNotAvailable,
  KError.KafkaStorageError,
  KError.UnknownTopicOrPartition,
  KError.UnknownTopicId,
  KError.InconsistentTopicId,
]);

/**
 * Reads one partition. Iterate it (or `messages()`) with `for await`; errors go to `errors()` when
 * `consumer.return.errors` is set. It stops by itself (its messages end, the error is the last on
 * `errors()`) when its offset is out of range, or when the broker answers an error that no retry
 * can cure (e.g. TOPIC_AUTHORIZATION_FAILED); then decide what to do and start a new one. Errors a
 * retry may cure (a moved leader, a corrupt batch, UNKNOWN_SERVER_ERROR) are reported and the
 * partition is fetched again after `consumer.retry.backoff`.
 *
 * @example
 * ```ts
 * import { Consumer, OffsetOldest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"]);
 * const pc = await consumer.consumePartition("events", 0, OffsetOldest);
 * let seen = 0;
 * for await (const m of pc) {
 *   console.log(m.offset, m.key && new TextDecoder().decode(m.key));
 *   if (++seen === 10 || m.offset + 1 >= pc.highWaterMarkOffset()) break;
 * }
 * await pc.close();
 * await consumer.close();
 * ```
 */
export class PartitionConsumer implements AsyncIterable<ConsumerMessage> {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** @internal next offset to fetch */
  _offset = 0;
  /** @internal the leader epoch (from metadata) this partition is fetched under: Fetch's currentLeaderEpoch */
  _leaderEpoch = -1;
  /** @internal the leader epoch of the last fetched batch: Fetch's lastFetchedEpoch, validated after a leader change */
  _lastFetchedEpoch = -1;
  /** @internal KIP-392: the preferred read replica a Fetch answer named (-1: none, the leader serves it); see fetch_loop.ts */
  _preferredReplica = -1;
  /** @internal until when (ms) that choice holds (`metadata.refreshFrequency` after it was made) */
  _preferredUntil = 0;
  #consumer: Consumer;
  #messages: MessageChannel;
  #errors: Channel<ConsumerError>;
  #errorCap: number;
  #droppedErrors = 0;
  #unreportedErrors = 0; // errors only logged: consumer.return.errors is off
  #interceptors: readonly ConsumerInterceptor[] | undefined;
  #highWaterMark = -1;
  #paused = false;
  #closed = false;
  #maxBytes: number;
  #refill: number;
  #backoff: ReturnType<typeof setTimeout> | undefined;
  #diverging = false;
  #onTruncated: ((offset: number, epoch: number) => void) | undefined;
  #truncatedTo: { offset: number; epoch: number } | undefined; // the last truncation before #onTruncated was set
  // fetch budget accounting: the untaken messages' segments, oldest first (see fetch_budget.ts)
  #budget: FetchBudget;
  #segments: Segment[] = [];
  #accounting = true; // off while _truncated re-queues the messages it keeps
  #waiting = 0; // readers waiting on the empty channel (pending next() calls)
  #copy: boolean;
  // Truncation resets (KIP-320) and which delivered messages predate them, so that a mark of a
  // record taken from the old log at or after the reset point is told apart from the same offset
  // in the new log: #resets counts resets; each leaves a window [from, to) of offsets that both
  // logs delivered; a message delivered inside a window is stamped with the reset count then.
  #resets = 0;
  #windows: { from: number; to: number; reset: number }[] = [];
  #windowFrom = Infinity;
  #windowTo = -Infinity;
  #stamps: WeakMap<ConsumerMessage, number> | undefined;
  /** @internal the loop to wake when there is room again */
  _loop: FetchLoop | undefined;

  /** @internal */
  constructor(consumer: Consumer, topic: string, partition: number) {
    this.#consumer = consumer;
    this.topic = topic;
    this.partition = partition;
    this.#maxBytes = consumer.config.consumer.fetch.default;
    this.#refill = consumer.config.channelBufferSize;
    // fetch the next batch as soon as the user starts on the previous one, so fetching always
    // overlaps processing (halving that window measured 2x slower on Deno); per partition, about
    // 2 fetches (2 × fetch.default bytes), and across all of them the fetch budget
    this.#messages = new MessageChannel(() => {
      // a take while readers wait is a push handing a message to one of them
      if (this.#waiting > 0) this.#waiting--;
      if (this.#accounting) this.#taken();
      if (this.#messages.length === this.#refill - 1) this._loop?.wake();
    }, () => {
      // a reader waits on an empty partition: it may be fetched even when the budget is spent
      this.#waiting++;
      this._loop?.wake();
    });
    this.#budget = consumer._budget;
    this.#copy = consumer.config.consumer.copyValues;
    this.#errors = new Channel<ConsumerError>();
    this.#errorCap = consumer.config.channelBufferSize;
    const ics = consumer.config.consumer.interceptors as ConsumerInterceptor[];
    this.#interceptors = ics.length > 0 ? ics : undefined;
  }

  // consumer.interceptors: each sees the message; one that throws is logged, never fatal
  #intercept(msg: ConsumerMessage): void {
    for (const ic of this.#interceptors!) {
      try {
        ic.onConsume(msg);
      } catch (e) {
        this.#consumer._log.warn("consumer interceptor threw; the message is delivered anyway", {
          topic: this.topic,
          partition: this.partition,
          offset: msg.offset,
          error: e,
        });
      }
    }
  }

  /** Whether the partition consumer was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The messages, in offset order. */
  messages(): AsyncIterable<ConsumerMessage> & { next(): Promise<IteratorResult<ConsumerMessage>> } {
    return this.#messages;
  }

  /**
   * Errors (only with `consumer.return.errors`; otherwise they are dropped after retrying). The
   * buffer is bounded: at most `channelBufferSize` errors wait; when it is full the OLDEST waiting
   * error is dropped to make room, and {@link droppedErrors} counts it. It ends when the partition
   * consumer stops or is closed.
   */
  errors(): AsyncIterable<ConsumerError> & { next(): Promise<IteratorResult<ConsumerError>> } {
    return this.#errors;
  }

  /** How many errors were dropped, oldest first, because nobody took them from a full `errors()`. */
  droppedErrors(): number {
    return this.#droppedErrors;
  }

  /** Iterates `messages()`. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.#messages[Symbol.asyncIterator]();
  }

  /** The last high-water mark the broker reported (the offset the next produced record will get). */
  highWaterMarkOffset(): number {
    return this.#highWaterMark;
  }

  /** Messages fetched and waiting to be taken. */
  bufferedCount(): number {
    return this.#messages.length;
  }

  /** The next offset this consumer will fetch. */
  nextOffset(): number {
    return this._offset;
  }

  /** Stops fetching this partition: messages already buffered are still delivered; a fetch in flight is dropped and read again on resume. */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes fetching. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this._loop?.wake();
  }

  /** Whether fetching is paused. */
  isPaused(): boolean {
    return this.#paused;
  }

  /** @internal whether a reader waits on this partition with nothing buffered: fetched even over the budget */
  _readerWaiting(): boolean {
    return this.#waiting > 0 && this.#messages.length === 0;
  }

  /** @internal whether the next fetch should include this partition */
  _wantsData(): boolean {
    return !this.#paused && !this.#closed && this.#messages.length < this.#refill && !this.#backoff && !this.#diverging;
  }

  /**
   * @internal the log was truncated: move the position to `offset` (records fetched from there on
   * and not yet taken are dropped: the leader no longer has them), report it on errors()
   */
  _truncated(offset: number, epoch: number, err: LogTruncationError): void {
    this.#accounting = false;
    const kept = this.#messages.drain().filter((m) => m.offset < offset);
    this.#keepSegments(kept.length);
    for (const m of kept) this.#messages.push(m); // nobody waits: the queue was not empty
    this.#accounting = true;
    // the records delivered so far from `offset` on came from the old log: remember the window
    // both logs deliver, so that marks of the old ones are recognised (see _takenBeforeReset)
    const reset = ++this.#resets;
    if (offset < this._offset) {
      this.#windows.push({ from: offset, to: this._offset, reset });
      this.#windowFrom = Math.min(this.#windowFrom, offset);
      this.#windowTo = Math.max(this.#windowTo, this._offset);
      this.#stamps ??= new WeakMap();
    }
    this._offset = offset;
    this._lastFetchedEpoch = epoch;
    this.#maxBytes = this.#consumer.config.consumer.fetch.default;
    this._error(err);
    if (this.#onTruncated) this.#onTruncated(offset, epoch);
    else this.#truncatedTo = { offset, epoch };
    this._loop?.wake();
  }

  /**
   * @internal whether `msg` was delivered before a truncation reset and lies at or after the
   * offset that reset went back to: a record of the old log, which the new log replaced. A mark of
   * it must not move the commit forward again past the records the new log has there.
   */
  _takenBeforeReset(msg: ConsumerMessage): boolean {
    if (this.#windows.length === 0 || msg.offset < this.#windowFrom || msg.offset >= this.#windowTo) return false;
    const stamp = this.#stamps?.get(msg) ?? 0;
    for (const w of this.#windows) if (msg.offset >= w.from && msg.offset < w.to && stamp < w.reset) return true;
    return false;
  }

  // the user took one message (or it was dropped): the oldest segment is done with once all its
  // messages are taken, and lets go of its pins
  #taken(): void {
    const s = this.#segments[0];
    if (!s) return;
    s.taken++;
    if (!s.open && s.taken >= s.pushed) this.#releaseHead();
  }

  #releaseHead(): void {
    this.#release(this.#segments.shift()!);
  }

  #dropSegment(seg: Segment): void {
    const i = this.#segments.indexOf(seg);
    if (i >= 0) this.#segments.splice(i, 1);
    this.#release(seg);
  }

  #release(seg: Segment): void {
    for (const pin of seg.pins) this.#budget.release(pin);
    seg.pins = [];
  }

  // every segment lets go of its pins (the messages were dropped)
  #releaseAll(): void {
    const segs = this.#segments;
    this.#segments = [];
    for (const s of segs) this.#release(s);
  }

  #privatePin(seg: Segment): Pin {
    const pin = this.#budget.privatePin();
    seg.pins.push(pin);
    return pin;
  }

  // the first `n` untaken messages stay queued (a truncation dropped the rest): keep the segments
  // that hold them, release the others
  #keepSegments(n: number): void {
    const keep: Segment[] = [];
    for (const s of this.#segments) {
      const untaken = s.pushed - s.taken;
      if (n > 0 && untaken > 0) {
        const held = Math.min(n, untaken);
        s.pushed = s.taken + held;
        n -= held;
        keep.push(s);
      } else {
        this.#release(s);
      }
    }
    this.#segments = keep;
  }

  /**
   * @internal `fn(offset, epoch)` hears every truncation that moves the position (a group claim
   * moves its commit back with it); one found before it was set (while `consumePartition`
   * validated the start position) is passed to it at once
   */
  _onTruncation(fn: (offset: number, epoch: number) => void): void {
    this.#onTruncated = fn;
    const t = this.#truncatedTo;
    this.#truncatedTo = undefined;
    if (t) fn(t.offset, t.epoch);
  }

  /** @internal an undecodable answer: report it, and refetch only after `consumer.retry.backoff` */
  _corrupt(err: Error): void {
    this._error(err);
    this.#retryLater();
  }

  // holds the partition out of fetches for consumer.retry.backoff
  #retryLater(): void {
    if (this.#backoff || this.#closed) return;
    this.#backoff = setTimeout(() => {
      this.#backoff = undefined;
      this._loop?.wake();
    }, this.#consumer.config.consumer.retry.backoff);
  }

  /** @internal bytes to ask for */
  _maxBytes(): number {
    return this.#maxBytes;
  }

  /**
   * @internal a fetch answered for this partition; `limited`: the request's maxBytes was below
   * the sum of its partitions' maxBytes, so the answer may have been cut by it. Returns how many
   * messages were delivered.
   */
  _deliver(res: FetchResponse["responses"][number]["partitions"][number], loop: FetchLoop, limited: boolean = false): number {
    const conf = this.#consumer.config.consumer;
    if (res.highWatermark >= 0) this.#highWaterMark = res.highWatermark;
    if (res.errorCode !== 0) {
      this._fail(res.errorCode, loop);
      return 0;
    }
    if (this.#paused || this.#closed) return 0; // a fetch in flight when pause() was called: refetched on resume
    const diverging = res.divergingEpoch;
    if (diverging && diverging.epoch >= 0) {
      // Fetch v12+ (KIP-320 with lastFetchedEpoch): the leader's log diverges from what we fetched;
      // no records come with it. Held out of fetches until the position is decided.
      this.#diverging = true;
      this.#consumer._diverged(this, diverging.epoch, diverging.endOffset)
        .catch((e) => this._error(e as Error))
        .finally(() => {
          this.#diverging = false;
          this._loop?.wake();
        });
      return 0;
    }
    const records = res.records;
    if (!records || records.length === 0) return 0;
    // a corrupt batch does not cost the valid batches before it: they are delivered, then it is reported
    const decoded = decodeRecordBatchesUntilError(records, { maxDecompressedBytes: Math.max(64 * 1024 * 1024, conf.fetch.max * 4) });
    const readCommitted = conf.isolationLevel === 1;
    const aborted = readCommitted ? abortedIndex(res.abortedTransactions) : undefined;
    const abortedProducers = new Set<number>();
    // this answer's messages, accounted until the user has taken them all; a waiting reader takes
    // the first ones at once (push hands them over), so the segment is queued before any push
    const seg: Segment = { pins: [], pushed: 0, taken: 0, open: true };
    this.#segments.push(seg);
    let copies: Pin | undefined;
    let delivered = 0;
    let next = this._offset;
    let lastEpoch = this._lastFetchedEpoch;
    // (in a finally: should anything throw midway, the messages pushed are accounted for and not
    // fetched again)
    try {
      for (const batch of decoded.batches) {
        if (aborted) {
          const starts = aborted.get(batch.producerId);
          if (starts && starts.length > 0 && starts[0] <= batch.baseOffset) {
            abortedProducers.add(batch.producerId);
            starts.shift();
          }
        }
        // the epoch of the last batch fetched (Java's CompletedFetch.lastEpoch) is the next Fetch's lastFetchedEpoch
        if (batch.partitionLeaderEpoch >= 0 && batch.lastOffset >= this._offset) lastEpoch = batch.partitionLeaderEpoch;
        if (batch.isControl) {
          // an ABORT or COMMIT marker ends the producer's transaction
          abortedProducers.delete(batch.producerId);
          next = Math.max(next, batch.lastOffset + 1);
          continue;
        }
        if (batch.isTransactional && abortedProducers.has(batch.producerId)) {
          next = Math.max(next, batch.lastOffset + 1);
          continue;
        }
        if (!this.#copy) {
          // zero-copy: the batch's records are views into one buffer (the response's, or the
          // batch's decompressed bytes); it is counted while any of them waits untaken
          const buffer = viewedBuffer(batch);
          if (buffer && seg.pins[seg.pins.length - 1]?.key !== buffer) seg.pins.push(this.#budget.pinBuffer(buffer));
        }
        for (const r of batch.records) {
          if (r.offset < this._offset) continue; // a compressed batch may start before the requested offset
          let key = r.key;
          let value = r.value;
          let headers = r.headers;
          if (this.#copy) {
            // consumer.copyValues: nothing the user gets points into the response (new
            // Uint8Array(view) copies; slice() would not on Node, where the views are Buffers)
            key = key && new Uint8Array(key);
            value = value && new Uint8Array(value);
            let bytes = (key?.byteLength ?? 0) + (value?.byteLength ?? 0);
            if (headers.length > 0) {
              headers = headers.map((h) => ({ key: h.key, value: h.value && new Uint8Array(h.value) }));
              for (const h of headers) bytes += h.key.length + (h.value?.byteLength ?? 0);
            }
            this.#budget.grow((copies ??= this.#privatePin(seg)), bytes);
          }
          const msg: ConsumerMessage = {
            topic: this.topic,
            partition: this.partition,
            offset: r.offset,
            key,
            value,
            headers,
            timestamp: r.timestamp,
            leaderEpoch: batch.partitionLeaderEpoch,
          };
          if (r.offset >= this.#windowFrom && r.offset < this.#windowTo) this.#stamps!.set(msg, this.#resets);
          if (this.#interceptors) this.#intercept(msg);
          seg.pushed++;
          this.#messages.push(msg);
          delivered++;
          next = r.offset + 1;
        }
        next = Math.max(next, batch.lastOffset + 1);
      }
    } finally {
      seg.open = false;
      if (seg.taken >= seg.pushed) this.#dropSegment(seg); // all taken at once (or none delivered): done
      if (next > this._offset) {
        this._offset = next;
        this._lastFetchedEpoch = lastEpoch;
      }
    }
    this.#refill = Math.max(this.#consumer.config.channelBufferSize, delivered);
    if (decoded.error) {
      // refetched from the bad batch after consumer.retry.backoff (a broker may have answered a
      // damaged copy); if it stays bad, it is reported again each time, never skipped silently
      if (delivered > 0) this.#maxBytes = conf.fetch.default;
      this._corrupt(decoded.error);
      return delivered;
    }
    if (delivered === 0 && decoded.batches.length === 0 && decoded.partialTrailing && (!limited || records.length >= this.#maxBytes)) {
      // one record batch is larger than what we asked for: ask for more (up to fetch.max). When the
      // request's maxBytes (the fetch budget) may have cut the answer, Kafka sends exactly the
      // bytes left (LogSegment.read), so a cut shorter than this partition's maxBytes is the
      // request's, not a large batch: just fetch again
      const max = conf.fetch.max > 0 ? conf.fetch.max : 2 ** 31 - 1;
      if (this.#maxBytes >= max) {
        this._error(new ErrMessageTooLarge(`the record batch at offset ${this._offset}`));
        this.#closeChannels();
      } else this.#maxBytes = Math.min(this.#maxBytes * 2, max);
    } else if (delivered > 0) {
      this.#maxBytes = this.#consumer.config.consumer.fetch.default;
    }
    return delivered;
  }

  /** @internal a partition-level error code in a Fetch answer */
  _fail(code: number, loop: FetchLoop): void {
    if (loop.leaderLoop) {
      // fetched from a preferred read replica (KIP-392): as Java's FetchCollector, any error ends
      // that choice (the follower loop hands the partition back to the leader's loop); an
      // OFFSET_OUT_OF_RANGE there (the follower lags, or its log starts later) is asked of the
      // leader before it is believed, so it is not reported
      this._preferredReplica = -1;
      if (code === KError.OffsetOutOfRange) {
        loop.wake();
        return;
      }
    }
    if (code === KError.OffsetOutOfRange && this._lastFetchedEpoch >= 0) {
      // Kafka answers OFFSET_OUT_OF_RANGE when it cannot find the end of lastFetchedEpoch (e.g. that
      // epoch's batches were deleted), even for an offset in the log: ask once more without it, so
      // that only a position really out of the log stops the partition consumer
      this._lastFetchedEpoch = -1;
      loop.wake();
      return;
    }
    const err = kafkaError(code, `fetch ${this.topic}/${this.partition} at offset ${this._offset}`);
    this._error(err);
    if (REFRESH_METADATA.has(code) || (err.retriable && code !== KError.CorruptMessage)) {
      // find the leader again; _reassign waits consumer.retry.backoff before each attempt
      this.#consumer._reassign(this, loop, err.message);
    } else if (code === KError.CorruptMessage || code === KError.Unknown) {
      // as Java: the same broker may serve it next time; back off, then fetch again
      this.#retryLater();
    } else {
      // OFFSET_OUT_OF_RANGE (Sarama's rule), or an error no retry can cure (authorization, an
      // unsupported version, ...): fetching again would only spin, so this partition consumer stops
      this.#closeChannels();
      this.#consumer._remove(this);
    }
  }

  /** @internal reports an error on errors() (bounded: the oldest waiting one is dropped when full) */
  _error(err: Error): void {
    if (!this.#consumer.config.consumer.return.errors) {
      // Sarama logs what it does not return: so does Samsa, at warn, with the count so far
      this.#unreportedErrors++;
      this.#consumer._log.warn("consumer error (not on errors(): consumer.return.errors is off)", {
        topic: this.topic,
        partition: this.partition,
        count: this.#unreportedErrors,
        error: err,
      });
      return;
    }
    if (this.#errors.closed) return;
    if (this.#errors.length >= this.#errorCap) {
      void this.#errors.next(); // takes the oldest at once (it is queued, so next() does not wait)
      this.#droppedErrors++;
      this.#consumer._log.warn("consumer error dropped: errors() is full (channelBufferSize), the oldest goes", {
        topic: this.topic,
        partition: this.partition,
        dropped: this.#droppedErrors,
        error: err,
      });
    }
    this.#errors.push(new ConsumerError(this.topic, this.partition, err));
  }

  #closeChannels(): void {
    clearTimeout(this.#backoff);
    this.#backoff = undefined;
    this.#closed = true;
    this.#messages.close();
    this.#errors.close();
  }

  /**
   * Stops consuming without waiting (Sarama's `AsyncClose`); pending messages are dropped. Errors
   * not taken yet stay readable on `errors()`, which then ends.
   */
  asyncClose(): void {
    // (a consumer that stopped itself, after a fatal error, is closed already but may still be
    // registered and hold messages: those are dropped too)
    if (!this.#closed) this.#closeChannels();
    this.#messages.drain(); // taking them lets their segments go (onTake)
    this.#releaseAll(); // and whatever is left, so that the budget gets every byte back
    this.#consumer._remove(this);
  }

  /**
   * Stops consuming (Sarama's `Close`): resolves once stopped, or rejects with
   * {@link ConsumerErrors} holding every error that was still waiting on `errors()` (taking them),
   * so none goes unseen. Without `consumer.return.errors` there are none, and it resolves.
   */
  close(): Promise<void> {
    this.asyncClose();
    const undrained = this.#errors.drain();
    if (undrained.length === 0) return Promise.resolve();
    return Promise.reject(new ConsumerErrors(undrained, this.#droppedErrors));
  }
}

// The buffer a batch's keys and values are views into (the same for all of its records), if any.
function viewedBuffer(batch: DecodedBatch): ArrayBufferLike | undefined {
  for (const r of batch.records) {
    const v = r.value ?? r.key;
    if (v) return v.buffer;
    for (const h of r.headers) if (h.value) return h.value.buffer;
  }
  return undefined;
}

/**
 * The messages channel: it tells its partition consumer when a reader starts waiting on it empty
 * (a `next()` that will wait), the demand that lets the partition be fetched over the budget.
 */
class MessageChannel extends Channel<ConsumerMessage> {
  #onWait: () => void;

  constructor(onTake: (m: ConsumerMessage) => void, onWait: () => void) {
    super(onTake);
    this.#onWait = onWait;
  }

  override next(): Promise<IteratorResult<ConsumerMessage>> {
    if (this.length === 0 && !this.closed) this.#onWait();
    return super.next();
  }
}

function abortedIndex(list: { producerId: number; firstOffset: number }[] | null): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const a of list ?? []) {
    const l = m.get(a.producerId) ?? [];
    l.push(a.firstOffset);
    m.set(a.producerId, l);
  }
  for (const l of m.values()) l.sort((a, b) => a - b);
  return m;
}

