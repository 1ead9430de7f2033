/**
 * A Cloudflare Worker (workerd) that produces to Kafka and reads back, on each request. On
 * `GET /?brokers=host:port&topic=name&n=1000[&compression=1-4][&tls=1]` it creates the topic,
 * produces `n` records with an AsyncProducer, reads them back with a Consumer, and answers with
 * JSON counts. The library picks
 * its workerd transport (`cloudflare:sockets`) by itself.
 *
 * workerd runs JavaScript: bundle it (`bun build examples/worker.ts --target=browser --format=esm
 * --external 'node:*' --external cloudflare:sockets`, or let wrangler do it) and enable
 * `nodejs_compat` (the library reaches zlib and diagnostics_channel through `node:` modules). Its
 * outbound network must allow the broker's addresses: tests/workerd/config.capnp is a workerd
 * config that allows loopback; tests/integration/workerd_test.ts runs this Worker there.
 * A Worker's sockets belong to the request that opened them: connect per request, close before
 * answering (or keep the client in a Durable Object).
 */
// in your Worker: import { ... } from "@samsa/kafka"; this repo's copy is imported by path
import { AsyncProducer, Client, Consumer, OffsetOldest } from "../mod.ts";
import { defaultTransport, hasZstd, runtimeName } from "../src/runtime/mod.ts";

interface Result {
  runtime: string;
  transport: string;
  hasZstd: boolean;
  topic: string;
  produced: number;
  produceErrors: number;
  consumed: number;
  valuesOk: number;
  firstValue?: string;
  lastValue?: string;
  produceMs: number;
  consumeMs: number;
}

async function run(addrs: string[], topic: string, n: number, compression: number, tls: boolean): Promise<Result> {
  const transport = await defaultTransport();
  // TLS: workerd verifies the broker against the outbound network's trusted certificates
  const net = tls ? { tls: { enable: true } } : {};
  const client = await Client.connect(addrs, { clientId: "samsa-workerd", net });
  try {
    const controller = await client.controller();
    await controller.createTopics({
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
  } finally {
    await client.close();
  }

  const t0 = performance.now();
  const producer = await AsyncProducer.connect(addrs, {
    clientId: "samsa-workerd",
    net,
    producer: { compression: compression as 0 | 1 | 2 | 3 | 4 },
  });
  let produceErrors = 0;
  const errors = (async () => {
    for await (const _ of producer.errors()) produceErrors++;
  })();
  for (let i = 0; i < n; i++) {
    const r = producer.send({ topic, key: `k${i}`, value: `value-${i}` });
    if (r) await r; // a promise only when the buffer is full
  }
  await producer.flush();
  await producer.close();
  await errors;
  const produceMs = performance.now() - t0;

  const t1 = performance.now();
  const consumer = await Consumer.connect(addrs, { clientId: "samsa-workerd", net });
  let consumed = 0;
  let valuesOk = 0;
  let firstValue: string | undefined;
  let lastValue: string | undefined;
  const dec = new TextDecoder();
  try {
    const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
    for await (const msg of pc) {
      const value = msg.value ? dec.decode(msg.value) : "";
      if (value === `value-${msg.offset}`) valuesOk++;
      firstValue ??= value;
      lastValue = value;
      if (++consumed >= n) break;
    }
  } finally {
    await consumer.close();
  }
  const consumeMs = performance.now() - t1;
  return {
    runtime: runtimeName(),
    transport: transport.name,
    hasZstd,
    topic,
    produced: n - produceErrors,
    produceErrors,
    consumed,
    valuesOk,
    firstValue,
    lastValue,
    produceMs,
    consumeMs,
  };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    const addrs = (url.searchParams.get("brokers") ?? "127.0.0.1:9092").split(",");
    const topic = url.searchParams.get("topic") ?? `samsa-workerd-${Date.now()}`;
    const n = Number(url.searchParams.get("n") ?? "1000");
    const compression = Number(url.searchParams.get("compression") ?? "0"); // Kafka codec id
    const tls = url.searchParams.get("tls") === "1";
    try {
      return Response.json(await run(addrs, topic, n, compression, tls));
    } catch (e) {
      const err = e as Error;
      return Response.json({ error: `${err.name}: ${err.message}`, stack: err.stack }, { status: 500 });
    }
  },
};
