/**
 * `npm run soak -- --minutes 30`: a long produce + consume run on the 3-node cluster of
 * `scripts/kafka cluster` with periodic faults, sampling the client process's memory and open
 * handles. Not part of CI.
 *
 *   npm run soak -- --minutes 30 [--fault-every 5] [--sample 10] [--rate 2000] [--down 5]
 *   node_modules/.bin/deno run -A bench/soak.ts --minutes 5      the same on Deno (or bun bench/soak.ts)
 *
 * Flags:
 *   --minutes M       how long to run (30)
 *   --fault-every M   every M minutes a node (1, 2, 3 in turn) is SIGKILLed, kept down --down s,
 *                     started on its data, and the run waits for a full ISR (5; 0 = no faults)
 *   --down S          seconds a killed node stays down (5)
 *   --sample S        sampling interval in seconds (10)
 *   --rate R          records per second produced (2000), 200-byte values, 6 partitions
 *
 * Workload: an idempotent AsyncProducer (acks=all) sends keyed records at --rate; a ConsumerGroup
 * member reads them with `stream()` (commits every second). At the end it checks that every
 * acknowledged record was consumed and that no message failed.
 *
 * Samples (CSV columns): elapsed s, rss MiB, heap used MiB, external MiB, open handles (Node's
 * `process.getActiveResourcesInfo()`: sockets, timers, ...; empty where the runtime lacks it:
 * Deno 2 removed `Deno.resources()` and has no equivalent, Bun has no getActiveResourcesInfo),
 * records sent / acknowledged / consumed, producer errors, the three nodes' RSS MiB, fault marks.
 * Output: .cache/soak/soak-<runtime>-<stamp>.csv and .svg (RSS and handles over time, faults as
 * vertical lines), and the same as soak-<runtime>-latest.*.
 *
 * Uses `KAFKA_CLUSTER_PORT` like the tests (tests/support/cluster_control.ts); starts the cluster
 * if it is not running, and stops it at the end only then.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { ConsumerGroup } from "../src/group/consumer_group.ts";
import { OffsetOldest } from "../src/config.ts";
import { Client } from "../src/client.ts";
import { AsyncProducer } from "../src/producer/async_producer.ts";
import {
  clusterBrokers,
  clusterRunning,
  createClusterTopic,
  killNode,
  NODES,
  nodeRssMiB,
  startCluster,
  startNode,
  stopCluster,
  waitForFullIsr,
} from "../tests/support/cluster_control.ts";

interface Args {
  minutes: number;
  faultEvery: number;
  down: number;
  sample: number;
  rate: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { minutes: 30, faultEvery: 5, down: 5, sample: 10, rate: 2000 };
  const names: Record<string, keyof Args> = { "--minutes": "minutes", "--fault-every": "faultEvery", "--down": "down", "--sample": "sample", "--rate": "rate" };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]];
    const v = Number(argv[i + 1]);
    if (!key || !Number.isFinite(v) || v < 0) throw new Error(`soak: bad argument ${argv[i]} ${argv[i + 1] ?? ""} (see bench/soak.ts)`);
    a[key] = v;
    i++;
  }
  if (a.sample <= 0 || a.minutes <= 0 || a.rate <= 0) throw new Error("soak: --minutes, --sample and --rate must be > 0");
  return a;
}

interface Sample {
  t: number;
  rss: number;
  heap: number;
  external: number;
  handles: number | undefined;
  sent: number;
  acked: number;
  consumed: number;
  errors: number;
  nodes: (number | undefined)[];
  fault: string;
}

const g = globalThis as unknown as {
  Deno?: { version?: { deno: string } };
  Bun?: { version: string };
  process: {
    argv: string[];
    memoryUsage(): { rss: number; heapUsed: number; external: number };
    getActiveResourcesInfo?: () => string[];
    exit(code: number): never;
  };
};
const runtime = g.Deno ? "deno" : g.Bun ? "bun" : "node";
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const td = new TextDecoder();

/** Open handles, where the runtime can tell (Node: process.getActiveResourcesInfo). */
function handles(): number | undefined {
  // Bun and Deno define process but not this (Deno 2 removed Deno.resources()): the column stays empty
  if (runtime !== "node" || typeof g.process.getActiveResourcesInfo !== "function") return undefined;
  return g.process.getActiveResourcesInfo().length;
}

function svg(samples: Sample[], title: string): string {
  const W = 900, H = 420, L = 60, R = 60, T = 40, B = 40;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const rssMax = Math.max(1, ...samples.map((s) => s.rss)) * 1.1;
  const hs = samples.map((s) => s.handles).filter((h): h is number => h !== undefined);
  const hMax = Math.max(1, ...hs) * 1.1;
  const x = (t: number) => L + ((W - L - R) * t) / tMax;
  const yRss = (v: number) => H - B - ((H - T - B) * v) / rssMax;
  const yH = (v: number) => H - B - ((H - T - B) * v) / hMax;
  const line = (pts: [number, number][], color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="20" font-size="14">${title}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/>`,
    `<line x1="${W - R}" y1="${T}" x2="${W - R}" y2="${H - B}" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (rssMax * i) / 4;
    out.push(`<text x="${L - 6}" y="${yRss(v) + 4}" text-anchor="end" fill="#1f77b4">${v.toFixed(0)}</text>`);
    if (hs.length) out.push(`<text x="${W - R + 6}" y="${yH((hMax * i) / 4) + 4}" fill="#d62728">${((hMax * i) / 4).toFixed(0)}</text>`);
    const t = (tMax * i) / 4;
    out.push(`<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${(t / 60).toFixed(1)} min</text>`);
  }
  for (const s of samples) {
    if (s.fault) out.push(`<line x1="${x(s.t)}" y1="${T}" x2="${x(s.t)}" y2="${H - B}" stroke="#999" stroke-dasharray="4 3"/><text x="${x(s.t) + 3}" y="${T + 12}" fill="#666">${s.fault}</text>`);
  }
  out.push(line(samples.map((s) => [x(s.t), yRss(s.rss)]), "#1f77b4"));
  if (hs.length) out.push(line(samples.filter((s) => s.handles !== undefined).map((s) => [x(s.t), yH(s.handles!)]), "#d62728"));
  out.push(`<text x="${L + 10}" y="${H - 8}" fill="#1f77b4">RSS MiB (left)</text>`);
  out.push(`<text x="${L + 130}" y="${H - 8}" fill="#d62728">${hs.length ? "open handles (right)" : "open handles: not available on " + runtime}</text>`);
  out.push(`<text x="${L + 330}" y="${H - 8}" fill="#666">dashed: node SIGKILLed</text>`);
  out.push("</svg>");
  return out.join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(g.process.argv.slice(2).filter((a) => a !== "--"));
  const t0 = Date.now();
  const startedHere = !(await clusterRunning());
  console.log(`[soak] ${runtime}: ${args.minutes} min, fault every ${args.faultEvery} min, ${args.rate} records/s; cluster ${startedHere ? "starting" : "running"} (${clusterBrokers().join(",")})`);
  await startCluster();
  const admin = await Client.connect(clusterBrokers(), { producer: { idempotent: false } });
  const topic = `soak-${runtime}-${Date.now().toString(36)}`;
  await createClusterTopic(admin, topic, 6);
  const producer = await AsyncProducer.connect(clusterBrokers(), { producer: { return: { successes: true } } });
  const group = await ConsumerGroup.connect(clusterBrokers(), `${topic}-g`, {
    consumer: { offsets: { initial: OffsetOldest, commitInterval: 1000 }, group: { sessionTimeout: 10_000, heartbeatInterval: 1000 } },
  });
  let sent = 0, acked = 0, errors = 0, consumed = 0;
  // which records were consumed: a byte per record, allocated once (a Set would grow the heap being measured)
  const seen = new Uint8Array(Math.ceil(args.minutes * 60 * args.rate * 1.1) + 1000);
  let distinct = 0;
  const stop = new AbortController();
  const reporting = Promise.all([
    (async () => {
      for await (const _ of producer.successes()) acked++;
    })(),
    (async () => {
      for await (const e of producer.errors()) {
        errors++;
        if (errors <= 5) console.log(`[soak] producer error: ${String(e.err)}`);
      }
    })(),
  ]);
  void (async () => {
    for await (const _ of group.errors()) { /* retried by the group */ }
  })();
  const consuming = (async () => {
    for await (const m of group.stream([topic], { signal: stop.signal })) {
      consumed++;
      const id = Number(td.decode(m.key!));
      if (seen[id] === 0) distinct++;
      seen[id] = 1;
    }
  })();
  const value = "x".repeat(200);
  const end = t0 + args.minutes * 60_000;
  const sending = (async () => {
    const start = Date.now();
    while (Date.now() < end) {
      if (sent > ((Date.now() - start) * args.rate) / 1000 || sent - acked - errors > 50_000 || sent >= seen.length) {
        await sleep(10);
        continue;
      }
      const wait = producer.send({ topic, key: String(sent), value });
      sent++;
      if (wait) await wait;
    }
  })();

  const samples: Sample[] = [];
  let fault = "";
  const faults = (async () => {
    if (args.faultEvery <= 0) return;
    for (let k = 0; ; k++) {
      const at = t0 + (k + 1) * args.faultEvery * 60_000;
      if (at + args.down * 1000 + 30_000 > end) return; // no fault that cannot recover before the end
      while (Date.now() < at) await sleep(200);
      const node = NODES[k % NODES.length];
      await killNode(node);
      fault = `kill ${node}`;
      console.log(`[soak] ${((Date.now() - t0) / 60_000).toFixed(1)} min: node ${node} SIGKILLed`);
      await sleep(args.down * 1000);
      const ms = await startNode(node);
      const isr = await waitForFullIsr(admin, topic, 120_000);
      console.log(`[soak] node ${node} started in ${ms} ms, ISR full ${isr} ms later`);
    }
  })();

  const sampleOnce = () => {
    const mu = g.process.memoryUsage();
    const s: Sample = {
      t: Math.round((Date.now() - t0) / 1000),
      rss: mu.rss / MiB,
      heap: mu.heapUsed / MiB,
      external: mu.external / MiB,
      handles: handles(),
      sent,
      acked,
      consumed,
      errors,
      nodes: NODES.map(nodeRssMiB),
      fault,
    };
    fault = "";
    samples.push(s);
    console.log(
      `[soak] ${s.t} s: rss ${s.rss.toFixed(1)} MiB, heap ${s.heap.toFixed(1)} MiB, handles ${s.handles ?? "n/a"}, ` +
        `sent ${sent}, acked ${acked}, consumed ${consumed}, errors ${errors}, nodes ${s.nodes.join("/")} MiB`,
    );
  };
  sampleOnce();
  while (Date.now() < end) {
    await sleep(Math.min(args.sample * 1000, Math.max(0, end - Date.now())));
    sampleOnce();
  }
  await sending;
  await faults;
  await producer.close().catch((e) => console.log(`[soak] producer close: ${String(e)}`));
  await reporting;
  const deadline = Date.now() + 120_000;
  while (distinct < acked && Date.now() < deadline) await sleep(200);
  stop.abort();
  await consuming.catch((e) => console.log(`[soak] group loop: ${String(e)}`));
  sampleOnce();
  await group.close().catch(() => {});
  await admin.close();
  if (startedHere) await stopCluster();

  const dir = new URL("../.cache/soak/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  const stamp = new Date(t0).toISOString().replace(/[:.]/g, "-");
  const header = "elapsed_s,rss_mib,heap_used_mib,external_mib,open_handles,sent,acked,consumed,producer_errors,node1_rss_mib,node2_rss_mib,node3_rss_mib,fault";
  const csv = [header, ...samples.map((s) =>
    [s.t, s.rss.toFixed(1), s.heap.toFixed(1), s.external.toFixed(1), s.handles ?? "", s.sent, s.acked, s.consumed, s.errors, ...s.nodes.map((n) => n ?? ""), s.fault].join(",")
  )].join("\n") + "\n";
  const rss = samples.map((s) => s.rss), hs = samples.map((s) => s.handles).filter((h): h is number => h !== undefined);
  const title = `samsa soak on ${runtime}: ${args.minutes} min, ${args.rate} rec/s, RSS ${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB` +
    (hs.length ? `, handles ${Math.min(...hs)}-${Math.max(...hs)}` : "");
  const chart = svg(samples, title);
  for (const name of [`soak-${runtime}-${stamp}`, `soak-${runtime}-latest`]) {
    writeFileSync(new URL(`${name}.csv`, dir), csv);
    writeFileSync(new URL(`${name}.svg`, dir), chart);
  }
  console.log(`[soak] ${title}`);
  console.log(`[soak] sent ${sent}, acked ${acked}, producer errors ${errors}, consumed ${consumed} (${distinct} distinct), acked but not consumed ${Math.max(0, acked - distinct)}`);
  console.log(`[soak] wrote .cache/soak/soak-${runtime}-${stamp}.{csv,svg}`);
  if (errors > 0 || distinct < acked) g.process.exit(1);
}

await main();
