/**
 * Renders a {@link MetricRegistry} (or a snapshot of one) in the Prometheus text exposition format
 * (version 0.0.4), for a `/metrics` endpoint.
 *
 * Sarama's names become Prometheus names with labels: `request-latency-in-ms-for-broker-1` is
 * `samsa_request_latency_in_ms{broker="1"}`, `batch-size-for-topic-orders` is
 * `samsa_batch_size{topic="orders"}`, `consumer-group-join-total-billing` is
 * `samsa_consumer_group_join_total{group="billing"}`.
 *
 * - a meter: `<name>_total` (counter: its count) and `<name>_rate{window="1m"|"5m"|"15m"|"mean"}` (gauge, per second)
 * - a histogram: a summary: `<name>{quantile="0.5"|"0.75"|"0.95"|"0.99"|"0.999"}`, `<name>_sum`, `<name>_count`,
 *   plus `<name>_min` and `<name>_max` gauges
 * - a counter: a gauge (go-metrics counters go down as well as up), except the group counters
 *   (`consumer-group-*`), which only grow: counters
 *
 * @module
 */
import type { HistogramSnapshot, MeterSnapshot, MetricRegistry, MetricsSnapshot } from "./metrics.ts";

/** Options of {@link prometheusText}. */
export interface PrometheusOptions {
  /** Prefix of every metric name. @default "samsa_" */
  prefix?: string;
  /** Labels added to every sample (e.g. `{ client_id: "billing" }`). @default {} */
  labels?: Record<string, string>;
}

const GROUP_NAMES = ["consumer-group-join-total", "consumer-group-join-failed", "consumer-group-sync-total", "consumer-group-sync-failed"];

interface Parsed {
  base: string;
  labels: [string, string][];
}

/** Splits a Sarama metric name into its base name and labels. */
function parse(name: string): Parsed {
  for (const g of GROUP_NAMES) {
    if (name.startsWith(`${g}-`)) return { base: g, labels: [["group", name.slice(g.length + 1)]] };
  }
  // the first marker splits: a topic's own name may contain "-for-broker-" (or "-for-topic-")
  const bi = name.indexOf("-for-broker-");
  const ti = name.indexOf("-for-topic-");
  if (bi > 0 && (ti <= 0 || bi < ti)) return { base: name.slice(0, bi), labels: [["broker", name.slice(bi + 12)]] };
  if (ti > 0) return { base: name.slice(0, ti), labels: [["topic", name.slice(ti + 11)]] };
  return { base: name, labels: [] };
}

function metricName(prefix: string, base: string): string {
  const n = `${prefix}${base}`.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[a-zA-Z_:]/.test(n) ? n : `_${n}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

// HELP text: backslash and newline escaped (the exposition format's rule), so it stays one line
function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: [string, string][]): string {
  if (labels.length === 0) return "";
  return `{${labels.map(([k, v]) => `${k.replace(/[^a-zA-Z0-9_]/g, "_")}="${escapeLabel(v)}"`).join(",")}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * The registry's metrics (or a snapshot taken with `registry.snapshot()`) as Prometheus text.
 *
 * @example
 * ```ts
 * import { Client, prometheusText } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const text = prometheusText(client.config().metrics.registry, { labels: { client_id: "billing" } });
 * // # TYPE samsa_request_rate_total counter
 * // samsa_request_rate_total{client_id="billing"} 3
 * await client.close();
 * ```
 */
export function prometheusText(source: MetricRegistry | MetricsSnapshot, options: PrometheusOptions = {}): string {
  const snap: MetricsSnapshot = typeof (source as MetricRegistry).snapshot === "function"
    ? (source as MetricRegistry).snapshot()
    : source as MetricsSnapshot;
  const prefix = options.prefix ?? "samsa_";
  const extra = Object.entries(options.labels ?? {});
  // families by output name, so that every sample of one family follows its TYPE line
  const families = new Map<string, { type: string; help: string; lines: string[] }>();
  const family = (name: string, type: string, help: string): string[] => {
    let f = families.get(name);
    if (!f) {
      f = { type, help, lines: [] };
      families.set(name, f);
    }
    return f.lines;
  };
  for (const [name, m] of Object.entries(snap)) {
    const { base, labels } = parse(name);
    const all = [...extra, ...labels];
    const n = metricName(prefix, base);
    if (m.type === "meter") {
      const mm = m as MeterSnapshot;
      family(`${n}_total`, "counter", `${base}: count`).push(`${n}_total${labelText(all)} ${num(mm.count)}`);
      const rates = family(`${n}_rate`, "gauge", `${base}: rate per second`);
      for (const [w, v] of [["1m", mm.rate1], ["5m", mm.rate5], ["15m", mm.rate15], ["mean", mm.rateMean]] as const) {
        rates.push(`${n}_rate${labelText([...all, ["window", w]])} ${num(v)}`);
      }
    } else if (m.type === "histogram") {
      const h = m as HistogramSnapshot;
      const lines = family(n, "summary", `${base}: last 1024 values' quantiles, all-time sum and count`);
      for (const [q, v] of [["0.5", h.p50], ["0.75", h.p75], ["0.95", h.p95], ["0.99", h.p99], ["0.999", h.p999]] as const) {
        lines.push(`${n}${labelText([...all, ["quantile", q]])} ${num(v)}`);
      }
      lines.push(`${n}_sum${labelText(all)} ${num(h.sum)}`);
      lines.push(`${n}_count${labelText(all)} ${num(h.count)}`);
      family(`${n}_min`, "gauge", `${base}: smallest value`).push(`${n}_min${labelText(all)} ${num(h.min)}`);
      family(`${n}_max`, "gauge", `${base}: largest value`).push(`${n}_max${labelText(all)} ${num(h.max)}`);
    } else {
      const isGroup = GROUP_NAMES.includes(base);
      const out = isGroup && !n.endsWith("_total") ? `${n}_total` : n;
      family(out, isGroup ? "counter" : "gauge", base).push(`${out}${labelText(all)} ${num(m.count)}`);
    }
  }
  let text = "";
  for (const [name, f] of families) {
    text += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n${f.lines.join("\n")}\n`;
  }
  return text;
}
