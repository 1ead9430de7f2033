import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultTransport, loadTransport, runtimeName } from "../../src/runtime/mod.ts";
import type { Socket, Transport } from "../../src/runtime/transport.ts";
import { crc32c } from "../../src/protocol/crc32c.ts";
import { concat } from "../support/bytes.ts";
import { waitFor } from "../support/wait.ts";

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url)), "utf8");

async function transports(): Promise<Transport[]> {
  const own = await defaultTransport();
  const node = await loadTransport("node");
  return own.name === node.name ? [own] : [own, node];
}

async function echoServer(t: Transport, tls?: { cert: string; key: string }) {
  return await t.listen({ host: "127.0.0.1", port: 0, tls }, (s) => ({ onData: (c) => s.write(c.slice()), onClose: () => {} }));
}

async function connectCollect(t: Transport, port: number, tls?: { ca: string }) {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let closed = 0;
  let closeError: Error | undefined;
  const socket: Socket = await t.connect({ host: "127.0.0.1", port, tls, timeoutMs: 5000 }, {
    onData: (c) => {
      chunks.push(c.slice());
      bytes += c.length;
    },
    onClose: (e) => {
      closed++;
      closeError = e;
    },
  });
  return { socket, chunks, get bytes() { return bytes; }, get closed() { return closed; }, get closeError() { return closeError; } };
}

describe(`runtime transports on ${runtimeName()}`, () => {
  test("the default transport is the runtime's own", async () => {
    assert.equal((await defaultTransport()).name, runtimeName());
  });

  for (const kind of ["default", "node"] as const) {
    test(`${kind}: 10,000 writes in one tick arrive complete and in order`, async () => {
      const t = kind === "node" ? await loadTransport("node") : await defaultTransport();
      const server = await echoServer(t);
      const c = await connectCollect(t, server.port);
      const expected: number[] = [];
      for (let i = 0; i < 10_000; i++) {
        const frame = new Uint8Array(8).fill(i & 255);
        c.socket.write(frame);
        expected.push(...frame);
      }
      await waitFor(() => c.bytes >= 80_000, 10_000, "echo");
      assert.deepEqual([...concat(...c.chunks)], expected);
      c.socket.close();
      await waitFor(() => c.closed === 1, 5000, "close");
      c.socket.close();
      assert.equal(c.closed, 1, "onClose fires once");
      c.socket.write(new Uint8Array(1)); // writing after close is a no-op
      await server.close();
    });

    test(`${kind}: 32 MiB through backpressure arrives intact`, async () => {
      const t = kind === "node" ? await loadTransport("node") : await defaultTransport();
      const server = await echoServer(t);
      const c = await connectCollect(t, server.port);
      const big = new Uint8Array(32 * 1024 * 1024).map((_, i) => (i * 31) & 255);
      for (let i = 0; i < big.length; i += 1024 * 1024) c.socket.write(big.subarray(i, i + 1024 * 1024));
      await waitFor(() => c.bytes >= big.length, 60_000, "32 MiB echo");
      assert.equal(crc32c(concat(...c.chunks)), crc32c(big));
      c.socket.close();
      await server.close();
    });
  }

  test("connecting to a closed port fails fast, naming the address", async () => {
    for (const t of await transports()) {
      const server = await echoServer(t);
      const port = server.port;
      await server.close();
      const t0 = Date.now();
      await assert.rejects(t.connect({ host: "127.0.0.1", port }, { onData() {}, onClose() {} }), (e: Error) => e.message.includes(`127.0.0.1:${port}`));
      assert.ok(Date.now() - t0 < 2000, `${t.name} failed fast`);
    }
  });

  test("an aborted signal stops the connection attempt", async () => {
    for (const t of await transports()) {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(t.connect({ host: "127.0.0.1", port: 9, signal: ac.signal }, { onData() {}, onClose() {} }));
    }
  });

  test("the peer closing is reported once", async () => {
    for (const t of await transports()) {
      let serverSide: Socket | undefined;
      const server = await t.listen({ host: "127.0.0.1", port: 0 }, (s) => {
        serverSide = s;
        return { onData() {}, onClose() {} };
      });
      const c = await connectCollect(t, server.port);
      await waitFor(() => serverSide !== undefined, 5000, "accept");
      serverSide!.close();
      await waitFor(() => c.closed === 1, 5000, `${t.name}: close seen`);
      assert.equal(c.socket.closed, true);
      await server.close();
    }
  });

  test("TLS: round trip with the server's CA; refused without it", async () => {
    const cert = fixture("cert.pem");
    const key = fixture("key.pem");
    const ca = fixture("ca.pem");
    for (const t of await transports()) {
      const server = await echoServer(await loadTransport("node"), { cert, key });
      const c = await connectCollect(t, server.port, { ca });
      c.socket.write(new TextEncoder().encode("hello tls"));
      await waitFor(() => c.bytes >= 9, 10_000, `${t.name} TLS echo`);
      assert.equal(new TextDecoder().decode(concat(...c.chunks)), "hello tls");
      c.socket.close();
      await assert.rejects(t.connect({ host: "127.0.0.1", port: server.port, tls: true, timeoutMs: 5000 }, { onData() {}, onClose() {} }));
      await server.close();
    }
  });
});
