/**
 * Output of the CLI: message formats (text, JSON lines, templates), tables (aligned on a
 * terminal, tab-separated otherwise), the live progress line, and the numbers in summaries.
 *
 * @module
 */
import { UsageError } from "./args.ts";
import type { ProcessIO } from "../runtime/process.ts";

/** The fields of a consumed record that formats can show. */
export interface RecordView {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Offset. */
  offset: number;
  /** Timestamp, ms since the epoch. */
  timestamp: number;
  /** Key bytes, or null. */
  key: Uint8Array | null;
  /** Value bytes, or null. */
  value: Uint8Array | null;
  /** Headers. */
  headers: readonly { key: string; value: Uint8Array | null }[];
}

/** Turns a record into one line of output (without the newline). */
export type Formatter = (r: RecordView) => string;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();

function text(b: Uint8Array | null): string {
  return b === null ? "" : lenient.decode(b);
}

function base64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A JSON field for bytes: the UTF-8 string, or `{ base64 }` when the bytes are not UTF-8. */
function jsonBytes(b: Uint8Array | null): string | null | { base64: string } {
  if (b === null) return null;
  try {
    return utf8.decode(b);
  } catch {
    return { base64: base64(b) };
  }
}

/** The placeholders a template may use. */
export const TEMPLATE_FIELDS: readonly string[] = ["topic", "partition", "offset", "timestamp", "time", "key", "value", "headers", "header.NAME"];

const FIELDS: Record<string, Formatter> = {
  topic: (r) => r.topic,
  partition: (r) => String(r.partition),
  offset: (r) => String(r.offset),
  timestamp: (r) => String(r.timestamp),
  time: (r) => new Date(r.timestamp).toISOString(),
  key: (r) => text(r.key),
  value: (r) => text(r.value),
  headers: (r) => r.headers.map((h) => `${h.key}=${text(h.value)}`).join(","),
};

/**
 * Compiles a template such as `{partition}:{offset} {key}={value} {headers}`. Placeholders:
 * {@link TEMPLATE_FIELDS} (`{time}` is the timestamp as ISO 8601, `{headers}` is `k=v,k=v`,
 * `{header.NAME}` one header's value); `\n`, `\t` and `\\` are escapes. Any other `{word}` or
 * `{word.…}` (e.g. `{Value}`, `{partition_id}`, `{header.}`) is a {@link UsageError}; braces
 * around anything else (`{"a":1}`) are text.
 */
export function compileTemplate(template: string): Formatter {
  const src = template.replace(/\\([nt\\])/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
  const parts: (string | Formatter)[] = [];
  let last = 0;
  for (const m of src.matchAll(/\{([A-Za-z_][\w-]*)(?:\.([^}]*))?\}/g)) {
    parts.push(src.slice(last, m.index));
    last = m.index! + m[0].length;
    const [field, arg] = [m[1], m[2]];
    const f: Formatter | undefined = field === "header" && arg
      ? (r) => text(r.headers.find((h) => h.key === arg)?.value ?? null)
      : arg !== undefined
      ? undefined
      : Object.hasOwn(FIELDS, field) // not inherited names such as {constructor}
      ? FIELDS[field]
      : undefined;
    if (!f) throw new UsageError(`unknown template placeholder ${m[0]}; known: ${TEMPLATE_FIELDS.map((x) => `{${x}}`).join(" ")}`, "consume");
    parts.push(f);
  }
  parts.push(src.slice(last));
  const compiled = parts.filter((p) => p !== "");
  return (r) => {
    let s = "";
    for (const p of compiled) s += typeof p === "string" ? p : p(r);
    return s;
  };
}

/** The formatter of an output format: `text` (value, or key SEP value), `json` (one object per line), or a template. */
export function formatter(format: string, opts: { template?: string; keySeparator?: string } = {}): Formatter {
  if (opts.template !== undefined) return compileTemplate(opts.template);
  if (format === "json") {
    return (r) =>
      JSON.stringify({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        key: jsonBytes(r.key),
        value: jsonBytes(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: jsonBytes(h.value) })),
      });
  }
  const sep = opts.keySeparator;
  return sep === undefined ? (r) => text(r.value) : (r) => `${text(r.key)}${sep}${text(r.value)}`;
}

/**
 * Rows as a table: aligned columns under a header on a terminal, tab-separated rows without the
 * header otherwise (for `cut`, `awk`, `sort`).
 */
export function table(header: string[], rows: (string | number)[][], tty: boolean): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  if (!tty) return cells.map((r) => r.join("\t") + "\n").join("");
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd() + "\n";
  return line(header) + cells.map(line).join("");
}

/** `1234567` → `1,234,567`. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Bytes as B, KiB, MiB or GiB. */
export function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Milliseconds as `850 ms`, `12.3 s` or `4m05s`. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** The given percentiles (0–100) of `values` (sorted in place), nearest-rank; 0s when empty. */
export function percentiles(values: Float64Array, ps: readonly number[]): number[] {
  values.sort();
  if (values.length === 0) return ps.map(() => 0);
  return ps.map((p) => values[Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))]);
}

/** A text progress bar of `width` cells for a fraction 0–1. */
export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * width);
  return "[" + "#".repeat(full) + (full < width ? ">" + ".".repeat(width - full - 1) : "") + "]";
}

/**
 * A live status line on stderr, redrawn in place (`\r`, clear to end of line) every `intervalMs`
 * while running; only on a terminal. `stop()` clears it so the summary can follow.
 */
export class ProgressLine {
  #io: ProcessIO;
  #render: () => string;
  #timer: ReturnType<typeof setInterval> | undefined;
  #enabled: boolean;
  #drawing: Promise<void> = Promise.resolve();

  /** Creates it. @param io the process @param render the line's text @param enabled whether to draw at all */
  constructor(io: ProcessIO, render: () => string, enabled: boolean) {
    this.#io = io;
    this.#render = render;
    this.#enabled = enabled;
  }

  /** Starts redrawing every `intervalMs`. */
  start(intervalMs: number = 200): void {
    if (!this.#enabled || this.#timer) return;
    this.#timer = setInterval(() => this.draw(), intervalMs);
  }

  /** Draws the line now. */
  draw(): void {
    if (!this.#enabled) return;
    const cols = this.#io.columns();
    const line = this.#render().slice(0, Math.max(10, cols - 1));
    this.#drawing = this.#drawing.then(() => this.#io.writeErr(`\r${line}\x1b[K`)).catch(() => {});
  }

  /** Stops redrawing; draws the last state once more (`keep`) or clears the line. */
  async stop(keep: boolean = true): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#enabled) return;
    if (keep) this.draw();
    await this.#drawing;
    await this.#io.writeErr(keep ? "\n" : "\r\x1b[K");
  }
}

/**
 * Buffers output lines and writes them in chunks: at most ~64 KiB per write, and whatever is
 * buffered at the end of the current tick (so a live stream shows each record at once while a
 * backlog goes out in large writes). `line()` waits while the pipe is full.
 */
export class LineWriter {
  #io: ProcessIO;
  #buf: string[] = [];
  #size = 0;
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;
  #error: unknown;

  /** Creates it over stdout. @param io the process */
  constructor(io: ProcessIO) {
    this.#io = io;
  }

  /** Adds a line; waits for the pipe when much is buffered. */
  line(s: string): Promise<void> {
    this.#buf.push(s, "\n");
    this.#size += s.length + 1;
    if (this.#size >= 65536) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => {
        this.#scheduled = false;
        this.flush().catch((e) => (this.#error = e));
      }, 0);
    }
    return Promise.resolve();
  }

  /** Writes what is buffered; resolves once it has been written. */
  flush(): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#buf.length > 0) {
      const s = this.#buf.join("");
      this.#buf = [];
      this.#size = 0;
      this.#chain = this.#chain.then(() => this.#io.write(s));
    }
    return this.#chain;
  }
}
