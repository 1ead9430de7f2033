/**
 * A Bun HTTP service that produces to Kafka on each request (Bun.serve + one shared SyncProducer).
 *   bun examples/bun_service.ts
 *   curl -d 'hello' 'http://127.0.0.1:3000/produce?topic=events&key=user-1'
 *     -> {"topic":"events","partition":0,"offset":0}
 * Uses KAFKA_BROKERS (default 127.0.0.1:9092) and PORT (default 3000; 0 picks a free port). Concurrent
 * requests batch together in the producer. SIGTERM/SIGINT stop the server, then close the producer.
 */
// in your app: import { SyncProducer } from "@samsa/kafka" (`bunx jsr add @samsa/kafka`); this
// repo's copy is imported by path
import { KafkaError, SyncProducer } from "../mod.ts";

// the slice of Bun's API used here, so the file type-checks without bun-types (`deno check examples/`)
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: { hostname: string; port: number; fetch(req: Request): Promise<Response> }): {
    hostname: string;
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void>;
  };
};

const addrs = (Bun.env.KAFKA_BROKERS || "127.0.0.1:9092").split(",");
const producer = await SyncProducer.connect(addrs, { clientId: "bun-service" });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.env.PORT ?? 3000),
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname !== "/produce" || req.method !== "POST") return new Response("POST /produce?topic=…&key=…\n", { status: 404 });
    const topic = url.searchParams.get("topic");
    if (!topic) return Response.json({ error: "topic is required" }, { status: 400 });
    try {
      const { partition, offset } = await producer.sendMessage({ topic, key: url.searchParams.get("key"), value: new Uint8Array(await req.arrayBuffer()) });
      return Response.json({ topic, partition, offset });
    } catch (e) {
      const status = e instanceof KafkaError && e.retriable ? 503 : 500;
      return Response.json({ error: (e as Error).message }, { status });
    }
  },
});
console.log(`listening on http://${server.hostname}:${server.port}`);

let stopping = false;
const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  await server.stop(); // lets requests in flight finish
  await producer.close();
  console.log("producer closed, bye");
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
