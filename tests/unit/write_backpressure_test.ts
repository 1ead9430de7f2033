import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { newConfig } from "../../src/config.ts";
import { ErrWriteTimeout } from "../../src/errors.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { Produce, type ProduceRequest } from "../../src/protocol/apis/produce.ts";
import { defaultTransport, loadTransport, runtimeName } from "../../src/runtime/mod.ts";
import type { Socket, Transport } from "../../src/runtime/transport.ts";
import { WRITE_HIGH_WATER_MARK, WriteQueue } from "../../src/runtime/write_queue.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { waitFor } from "../support/wait.ts";

const FRAME = 256 * 1024; // records bytes per Produce request
const MAX_OPEN = 5;
// what a connection may queue: the high-water mark plus the frames of the requests in flight
const BOUND = WRITE_HIGH_WATER_MARK + MAX_OPEN * (FRAME + 1024);

/** `t`, remembering the sockets it opens so the test can read their pendingBytes. */
function recording(t: Transport): { transport: Transport; sockets: Socket[] } {
  const sockets: Socket[] = [];
  return {
    sockets,
    transport: {
      name: t.name,
      listen: (o, accept) => t.listen(o, accept),
      connect: async (o, h) => {
        const s = await t.connect(o, h);
        sockets.push(s);
        return s;
      },
    },
  };
}

/**
 * `t` whose accepted sockets read slowly: after `bytesPerWindow` bytes a socket stops reading for
 * `windowMs`, then reads the next window's worth (the peer's pace, not a wait of the test).
 */
function slowReading(t: Transport, bytesPerWindow: number, windowMs: number): Transport {
  return {
    name: t.name,
    connect: (o, h) => t.connect(o, h),
    listen: (o, accept) =>
      t.listen(o, (s) => {
        const h = accept(s);
        let read = 0;
        let timer: ReturnType<typeof setTimeout> | undefined;
        return {
          onData: (c) => {
            h.onData(c);
            read += c.length;
            if (read < bytesPerWindow || timer !== undefined) return;
            s.pause!();
            timer = setTimeout(() => {
              timer = undefined;
              read = 0;
              s.resume!();
            }, windowMs);
          },
          onClose: (e) => {
            clearTimeout(timer);
            h.onClose(e);
          },
        };
      }),
  };
}

/** An acks=0 Produce request whose records carry `i` and bytes derived from it. */
function produce(i: number): ProduceRequest {
  const records = new Uint8Array(FRAME);
  new DataView(records.buffer).setUint32(0, i);
  for (let j = 4; j < FRAME; j += 4096) records[j] = (i + j) & 255;
  return { acks: 0, timeoutMs: 1000, topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] };
}

/**
 * Sends `total` acks=0 Produce requests the way the producer's sink does: each one awaited, at
 * most MAX_OPEN at a time. Stops at the first failure.
 */
function pump(broker: Broker, total: number, onResolved: () => void) {
  let next = 0;
  let resolved = 0;
  const errors: Error[] = [];
  const worker = async (): Promise<void> => {
    while (next < total && errors.length === 0) {
      const i = next++;
      try {
        await broker.request(Produce, produce(i));
      } catch (e) {
        errors.push(e as Error);
        return;
      }
      resolved++;
      onResolved();
    }
  };
  const done = Promise.all(Array.from({ length: MAX_OPEN }, worker));
  return {
    done,
    errors,
    get started() {
      return next;
    },
    get resolved() {
      return resolved;
    },
    get outstanding() {
      return next - resolved - errors.length;
    },
  };
}

// a few turns of the event loop (not a duration): lets any resolution that could happen, happen
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Samples `socket.pendingBytes` every millisecond or so (a measurement, not a wait). */
function sampler(socket: Socket): { readonly max: number; stop(): void; sample(): void } {
  let max = 0;
  const sample = (): void => void (max = Math.max(max, socket.pendingBytes));
  const timer = setInterval(sample, 1);
  return {
    get max() {
      return max;
    },
    sample,
    stop: () => clearInterval(timer),
  };
}

function recordsOf(body: unknown): Uint8Array {
  return (body as ProduceRequest).topicData[0].partitionData[0].records!;
}

describe(`write backpressure and net.writeTimeout on ${runtimeName()}`, () => {
  test("WriteQueue: whenWritable waits above the high-water mark and resolves as the sink takes bytes", async () => {
    let accept = 0; // bytes the sink takes per call
    const taken: number[] = [];
    const q = new WriteQueue((d) => {
      const n = Math.min(accept, d.length);
      taken.push(...d.subarray(0, n));
      return n;
    }, (e) => assert.fail(e), { highWaterMark: 100 });
    q.push(new Uint8Array(60).map((_, i) => i));
    q.push(new Uint8Array(60).map((_, i) => 60 + i));
    assert.equal(q.pending, 120);
    let writable = false;
    const w = q.whenWritable().then(() => (writable = true));
    await turns(2);
    assert.equal(writable, false, "120 bytes queued, mark 100");
    accept = 10;
    q.resume(); // 10 taken: 110 left
    await turns(2);
    assert.equal(writable, false);
    accept = 15;
    q.resume(); // 15 more: 95 left, below the mark
    await w;
    assert.equal(q.pending, 95);
    accept = 1000;
    q.resume();
    await waitFor(() => q.pending === 0, 2000, "drained");
    assert.deepEqual(taken, Array.from({ length: 120 }, (_, i) => i));
    q.push(new Uint8Array(200));
    const closed = q.whenWritable();
    q.close();
    await closed; // closing releases the waiter
  });

  test("a user transport without whenWritable still works: acks=0 requests resolve once queued, in one write per tick", async () => {
    const base = await defaultTransport();
    const mock = await MockBroker.start({ transport: base });
    mock.onRaw(Produce.key, () => ({ noReply: true }));
    let writes = 0;
    const old: Transport = {
      name: "old",
      listen: (o, a) => base.listen(o, a),
      connect: async (o, h) => {
        const s = await base.connect(o, h);
        // only the original members: write, pendingBytes, close, closed
        return {
          write: (d: Uint8Array) => (writes++, s.write(d)),
          close: () => s.close(),
          get closed() {
            return s.closed;
          },
          get pendingBytes() {
            return s.pendingBytes;
          },
        };
      },
    };
    const broker = new Broker(mock.addr);
    try {
      await broker.open(newConfig({ net: { transport: old, maxOpenRequests: MAX_OPEN } }));
      writes = 0;
      await Promise.all(Array.from({ length: 4 }, (_, i) => broker.request(Produce, produce(i))));
      assert.equal(writes, 1, "four frames queued in one tick leave in one write");
      await waitFor(() => mock.requestsFor(Produce.key).length === 4, 10_000, "the requests at the peer");
    } finally {
      await broker.close();
      await mock.close();
    }
  });

  for (const kind of ["default", "node"] as const) {
    test(`${kind}: acks=0 requests stop resolving at the high-water mark, queued bytes stay bounded, and all arrive in order once the peer reads`, async (t) => {
      const base = kind === "node" ? await loadTransport("node") : await defaultTransport();
      if (kind === "node" && base.name === (await defaultTransport()).name) return t.skip("node is the default here");
      const rec = recording(base);
      const mock = await MockBroker.start({ transport: base });
      mock.onRaw(Produce.key, () => ({ noReply: true }));
      const broker = new Broker(mock.addr);
      try {
        await broker.open(newConfig({ net: { transport: rec.transport, maxOpenRequests: MAX_OPEN } }));
        const socket = rec.sockets[0];
        assert.ok(socket.whenWritable, "built-in sockets support whenWritable");
        mock.pauseReading();
        const total = 160; // 40 MiB: far more than the loopback buffers absorb
        const pending = sampler(socket);
        const sample = pending.sample;
        const p = pump(broker, total, sample);

        await waitFor(
          () => (sample(), p.outstanding === MAX_OPEN && socket.pendingBytes >= WRITE_HIGH_WATER_MARK),
          20_000,
          "every slot waiting on a queue above the high-water mark",
        );
        const stalledAt = p.resolved;
        await turns(20);
        sample();
        assert.equal(p.resolved, stalledAt, "nothing resolves while the peer does not read");
        assert.ok(p.resolved < total / 2, `only what the OS buffers absorbed resolved (${p.resolved} of ${total})`);
        assert.ok(pending.max <= BOUND, `queued ${pending.max} bytes, bound ${BOUND}`);

        mock.resumeReading();
        await p.done;
        assert.deepEqual(p.errors, []);
        assert.equal(p.resolved, total);
        pending.stop();
        assert.ok(pending.max <= BOUND, `queued ${pending.max} bytes, bound ${BOUND}`);
        await waitFor(() => mock.requestsFor(Produce.key).length === total, 20_000, "every request at the peer");
        const seen = mock.requestsFor(Produce.key);
        for (let i = 0; i < total; i++) {
          const got = recordsOf(seen[i].body);
          const want = produce(i).topicData[0].partitionData[0].records!;
          assert.equal(got.length, want.length);
          assert.ok(got.every((b, j) => b === want[j]), `request ${i} arrived intact and in order`);
        }
        assert.ok(broker.connected());
      } finally {
        await broker.close();
        await mock.close();
      }
    });

    test(`${kind}: a peer that never reads fails the connection after net.writeTimeout; every pending request rejects`, async (t) => {
      const base = kind === "node" ? await loadTransport("node") : await defaultTransport();
      if (kind === "node" && base.name === (await defaultTransport()).name) return t.skip("node is the default here");
      const mock = await MockBroker.start({ transport: base });
      mock.onRaw(Produce.key, () => ({ noReply: true }));
      const broker = new Broker(mock.addr);
      try {
        await broker.open(newConfig({ net: { transport: base, maxOpenRequests: MAX_OPEN, writeTimeout: 300 } }));
        mock.on(Metadata, () => new Promise<never>(() => {})); // never answered
        mock.pauseReading();
        const t0 = Date.now();
        // a request awaiting its response on the same connection: rejected with the rest
        const late = broker.request(Metadata, { topics: [] }).then(() => undefined, (e: Error) => e);
        const p = pump(broker, 400, () => {});
        await waitFor(() => p.errors.length > 0, 10_000, "the write timeout");
        await p.done;
        const elapsed = Date.now() - t0;
        assert.equal(p.errors.length, MAX_OPEN, "the requests in the slots and the one waiting for a slot");
        for (const e of p.errors) {
          assert.ok(e instanceof ErrWriteTimeout, `${e}`);
          assert.match(e.message, /net\.writeTimeout \(300 ms\)/);
        }
        assert.ok((await late) instanceof ErrWriteTimeout, "the request awaiting its response failed too");
        assert.ok(p.resolved < 400);
        assert.ok(elapsed < 5000, `failed after ${elapsed} ms`);
        assert.ok(elapsed >= 300, `not before writeTimeout (${elapsed} ms)`);
        assert.equal(broker.connected(), false);
      } finally {
        await broker.close();
        await mock.close();
      }
    });

    test(`${kind}: a slow peer that keeps reading is never failed, though bytes stay queued far longer than writeTimeout`, async (t) => {
      const base = kind === "node" ? await loadTransport("node") : await defaultTransport();
      if (kind === "node" && base.name === (await defaultTransport()).name) return t.skip("node is the default here");
      const rec = recording(base);
      // the peer reads about 1 MiB every 20 ms (~50 MB/s): what the client queues (≤ 2.3 MiB)
      // waits ~50 ms to be taken, well within writeTimeout, yet 64 MiB take over a second
      const mock = await MockBroker.start({ transport: slowReading(base, 1 << 20, 20) });
      let reads = 0;
      mock.onRaw(Produce.key, () => {
        reads++;
        return { noReply: true };
      });
      const broker = new Broker(mock.addr);
      const writeTimeout = 300;
      try {
        await broker.open(newConfig({ net: { transport: rec.transport, maxOpenRequests: MAX_OPEN, writeTimeout } }));
        const socket = rec.sockets[0];
        const total = 256; // 64 MiB
        const pending = sampler(socket);
        const t0 = Date.now();
        const p = pump(broker, total, () => {});
        await p.done;
        const elapsed = Date.now() - t0;
        pending.stop();
        const maxPending = pending.max;
        assert.deepEqual(p.errors, []);
        assert.equal(p.resolved, total);
        assert.ok(broker.connected(), "the connection was not failed");
        await waitFor(() => reads === total, 20_000, "every request read");
        assert.ok(maxPending >= WRITE_HIGH_WATER_MARK, `backpressure engaged (queued up to ${maxPending} bytes)`);
        assert.ok(elapsed > 2 * writeTimeout, `the transfer (${elapsed} ms) outlasted writeTimeout ${writeTimeout} ms`);
      } finally {
        await broker.close();
        await mock.close();
      }
    });
  }
});
