/**
 * The Logger (Sarama's `sarama.Logger`, with levels and structured fields): what the library says
 * about its connections, metadata, retries and dropped errors. Silent unless `config.logger` is set.
 *
 * Two adapters: {@link consoleLogger} (the runtime's console) and {@link jsonLinesLogger} (one JSON
 * object per line to any sink: a file, a stream, an array in a test). Any object with the four
 * methods works as well (pino, winston and `console` itself fit).
 *
 * Credentials never reach a logger: the library logs no request body, no SASL exchange and no TLS
 * material, and both adapters pass fields through {@link safeFields}, which masks fields whose names
 * say secret (`password`, `passphrase`, `secret`, `token`, `key` of TLS, `authBytes`) and turns
 * errors into `{ name, message, code? }`.
 *
 * @module
 */

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * What the library logs through (set it as `config.logger`). Each method takes a short, constant
 * message and the fields that vary (broker id, address, topic, the error…).
 *
 * @example
 * ```ts
 * import { type Logger, newConfig } from "@samsa/kafka";
 * const logger: Logger = {
 *   debug: () => {},
 *   info: (msg, fields) => console.log(msg, fields),
 *   warn: (msg, fields) => console.warn(msg, fields),
 *   error: (msg, fields) => console.error(msg, fields),
 * };
 * const config = newConfig({ logger });
 * ```
 */
export interface Logger {
  /** Detail: every metadata refresh, session resets. */
  debug(message: string, fields?: LogFields): void;
  /** Connects, disconnects, leader moves, retries. */
  info(message: string, fields?: LogFields): void;
  /** Something failed and is being retried, or was dropped (an error nobody reads). */
  warn(message: string, fields?: LogFields): void;
  /** Something failed for good. */
  error(message: string, fields?: LogFields): void;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The levels, lowest first.
 *
 * @example
 * ```ts
 * import { consoleLogger, LOG_LEVELS, type LogLevel } from "@samsa/kafka";
 * function parseLevel(flag: string): LogLevel {
 *   const level = LOG_LEVELS.find((l) => l === flag);
 *   if (!level) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
 *   return level;
 * }
 * const logger = consoleLogger({ level: parseLevel("info") });
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const noop = (): void => {};

/**
 * The silent logger: what the library uses when `config.logger` is unset.
 *
 * @example
 * ```ts
 * import { nopLogger } from "@samsa/kafka";
 * nopLogger.warn("nobody hears this");
 * ```
 */
export const nopLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

// field names whose values are credentials or key material, whatever their case
const SECRET = /pass(word|phrase)?$|secret|token|^key$|private.?key|authbytes|credential/i;

/**
 * Fields made safe to print: values of secret-looking names (`password`, `passphrase`, `secret`,
 * `token`, `key`, `privateKey`, `authBytes`, `credentials`) become `"[redacted]"`, errors become
 * `{ name, message, code? }` (their cause's message appended), binary becomes its length, and
 * nested objects are treated alike (to depth 4). The adapters call it; a custom logger may.
 *
 * @example
 * ```ts
 * import { safeFields } from "@samsa/kafka";
 * safeFields({ user: "alice", password: "s3cret" }); // { user: "alice", password: "[redacted]" }
 * ```
 */
export function safeFields(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!fields) return out;
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET.test(k) && v !== undefined && v !== "" ? "[redacted]" : safeValue(v, 0);
  return out;
}

function safeValue(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== "object") {
    if (typeof v === "function") return "[function]";
    if (typeof v === "bigint") return v.toString();
    return v;
  }
  if (v instanceof Error) {
    const e: Record<string, unknown> = { name: v.name, message: v.message };
    const code = (v as { code?: unknown }).code;
    if (typeof code === "number" || typeof code === "string") e.code = code;
    const cause = (v as { cause?: unknown }).cause;
    if (cause instanceof Error && !v.message.includes(cause.message)) e.cause = cause.message;
    return e;
  }
  if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
  if (depth >= 4) return "[object]";
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => safeValue(x, depth + 1));
  return safeFields(v as LogFields);
}

const guarded = new WeakMap<Logger, Logger>();

/**
 * @internal `logger` with every method made safe to call: an exception a user's logger throws is
 * swallowed (a log line must never break a connection's teardown, a fetch loop or a produce).
 * Cached per logger; the silent logger is returned as is.
 */
export function guardLogger(logger: Logger | undefined): Logger {
  if (!logger || logger === nopLogger) return nopLogger;
  let g = guarded.get(logger);
  if (!g) {
    const wrap = (level: LogLevel) => (message: string, fields?: LogFields): void => {
      try {
        logger[level](message, fields);
      } catch {
        // the logger's own failure: nothing better to do than drop the line
      }
    };
    g = { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
    guarded.set(logger, g);
  }
  return g;
}

/** Options of {@link consoleLogger}. */
export interface ConsoleLoggerOptions {
  /** The lowest level printed. @default "info" */
  level?: LogLevel;
  /** Where lines go. @default globalThis.console */
  console?: Pick<Console, "debug" | "info" | "warn" | "error">;
  /** Prefix of every message. @default "samsa" */
  prefix?: string;
}

/**
 * A logger printing to the console: `samsa: <message> {fields}` through `console.debug/info/warn/error`.
 *
 * @example
 * ```ts
 * import { Client, consoleLogger } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"], { logger: consoleLogger({ level: "debug" }) });
 * await client.close();
 * ```
 */
export function consoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = RANK[options.level ?? "info"];
  if (min === undefined) throw new TypeError(`consoleLogger: unknown level ${String(options.level)}`);
  const out = options.console ?? globalThis.console;
  const prefix = options.prefix ?? "samsa";
  const at = (level: LogLevel) =>
    RANK[level] < min ? noop : (message: string, fields?: LogFields): void => {
      const f = safeFields(fields);
      if (Object.keys(f).length === 0) out[level](`${prefix}: ${message}`);
      else out[level](`${prefix}: ${message}`, f);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Options of {@link jsonLinesLogger}. */
export interface JsonLinesLoggerOptions {
  /** The lowest level written. @default "info" */
  level?: LogLevel;
  /** Fields added to every line (a service name, a client id). @default {} */
  base?: LogFields;
  /** The clock, in ms since epoch (for tests). @default Date.now */
  now?: () => number;
}

/**
 * A logger writing one JSON object per line (`{"time":"…","level":"warn","msg":"…",…fields}` and
 * `"\n"`) to `write`: a file or stream writer, `process.stdout.write`, or an array in a test.
 *
 * @example
 * ```ts
 * import { jsonLinesLogger, newConfig } from "@samsa/kafka";
 * const lines: string[] = [];
 * const config = newConfig({ logger: jsonLinesLogger((line) => lines.push(line), { level: "debug" }) });
 * ```
 */
export function jsonLinesLogger(write: (line: string) => void, options: JsonLinesLoggerOptions = {}): Logger {
  if (typeof write !== "function") throw new TypeError("jsonLinesLogger: write must be a function (line: string) => void");
  const min = RANK[options.level ?? "info"];
  if (min === undefined) throw new TypeError(`jsonLinesLogger: unknown level ${String(options.level)}`);
  const base = safeFields(options.base);
  const now = options.now ?? Date.now;
  const at = (level: LogLevel) =>
    RANK[level] < min ? noop : (message: string, fields?: LogFields): void => {
      let line: string;
      try {
        line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg: message, ...base, ...safeFields(fields) });
      } catch (e) {
        line = JSON.stringify({ time: new Date(now()).toISOString(), level, msg: message, logError: String(e) });
      }
      write(line + "\n");
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * Whether `v` has the four methods of a {@link Logger}.
 *
 * @example
 * ```ts
 * import { isLogger } from "@samsa/kafka";
 * isLogger(console); // true
 * ```
 */
export function isLogger(v: unknown): v is Logger {
  if (v === null || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return LOG_LEVELS.every((l) => typeof o[l] === "function");
}
