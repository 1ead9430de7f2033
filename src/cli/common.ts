/**
 * What every command shares: the connection flags, the broker list and config file, exit codes,
 * and the translation of errors into one clear line and a code.
 *
 * @module
 */
import { type FlagSpec, UsageError } from "./args.ts";
import type { ProcessIO } from "../runtime/process.ts";
import type { AccessToken, ConfigOverrides } from "../config.ts";
import { ConfigurationError, KafkaError } from "../errors.ts";
import { isSaslFailure } from "../broker.ts";
import { KError } from "../protocol/errors.ts";
import type { ClusterAdmin } from "../admin/admin.ts";

/**
 * Exit codes of the `samsa` command.
 *
 * @example
 * ```ts
 * import { ExitCode, main } from "@samsa/kafka/cli";
 * const code = await main(["topics", "list", "--brokers", "127.0.0.1:9092"]);
 * if (code === ExitCode.Unreachable) console.error("is Kafka running?");
 * ```
 */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** A Kafka or runtime error (a refused request, undelivered messages, an I/O failure). */
  Error: 1,
  /** A usage error: unknown flag, bad value, missing argument, a refused --password. */
  Usage: 2,
  /** No broker could be reached. */
  Unreachable: 3,
  /** The topic, partition or group does not exist. */
  NotFound: 4,
  /** Authentication or authorization failed (SASL, ACLs). */
  Auth: 5,
} as const;
/** One of {@link ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** An error with the exit code it ends the program with. */
export class CliError extends Error {
  /** The exit code. */
  readonly code: ExitCode;
  /** Creates it. @param code the exit code @param message one clear line */
  constructor(code: ExitCode, message: string) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}

/** What a command runs with. */
export interface Cli {
  /** The process. */
  io: ProcessIO;
  /** Whether stderr is a terminal (progress lines and summaries go there). */
  tty: boolean;
  /** Whether stdout is a terminal (tables get a header and aligned columns). */
  stdoutTTY: boolean;
  /** Aborted on SIGINT/SIGTERM: commands stop cleanly (consumers commit, producers flush). */
  signal: AbortSignal;
}

/** The connection flags every command takes. */
export const CONNECTION_FLAGS: FlagSpec[] = [
  { name: "brokers", short: "b", type: "list", split: true, arg: "HOST:PORT,...", help: "bootstrap brokers (else $KAFKA_BROKERS, else the config file's \"brokers\")" },
  { name: "config", short: "c", type: "string", arg: "FILE", help: "JSON config file: brokers, net.tls, net.sasl, any library setting (else $SAMSA_CONFIG)" },
  { name: "client-id", type: "string", arg: "ID", help: "client id sent to the brokers (else the config file's clientId, else samsa-cli)" },
  { name: "timeout", type: "int", arg: "MS", help: "connection timeout in ms (else the config file's net.dialTimeout, else 10000)" },
  { name: "tls", type: "bool", help: "connect with TLS" },
  { name: "tls-ca", type: "string", arg: "FILE", help: "trusted CA certificates (PEM) for TLS" },
  { name: "sasl-mechanism", type: "string", arg: "NAME", help: "SASL mechanism", choices: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"] },
  { name: "sasl-user", type: "string", arg: "USER", help: "SASL user" },
  { name: "sasl-password-env", type: "string", arg: "VAR", help: "environment variable holding the SASL password" },
  { name: "sasl-password-file", type: "string", arg: "FILE", help: "file holding the SASL password (first line)" },
  { name: "sasl-token-env", type: "string", arg: "VAR", help: "environment variable holding the OAUTHBEARER token (a JWT)" },
  { name: "sasl-token-file", type: "string", arg: "FILE", help: "file holding the OAUTHBEARER token (first line; read again at each authentication)" },
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

async function readText(cli: Cli, path: string, what: string): Promise<string> {
  try {
    return new TextDecoder().decode(await cli.io.readFile(path));
  } catch (e) {
    throw new CliError(ExitCode.Usage, `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

async function password(cli: Cli, env: unknown, file: unknown, where: string): Promise<string | undefined> {
  if (typeof env === "string" && env) {
    const v = cli.io.env(env);
    if (v === undefined) throw new CliError(ExitCode.Usage, `${where}: environment variable ${env} (the SASL password) is not set`);
    return v;
  }
  if (typeof file === "string" && file) return (await readText(cli, file, "the SASL password file")).split(/\r?\n/)[0];
  return undefined;
}

// The seconds-since-epoch `exp` claim of a JWT, if it has one: the token's lifetime tells the
// library when to fetch it again and when to re-authenticate (KIP-368).
function jwtExpiry(token: string): number | undefined {
  try {
    const part = token.split(".")[1];
    if (!part) return undefined;
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

// An OAUTHBEARER token provider reading the token from an environment variable or a file (again
// at each authentication, so a file rotated by an outside agent is picked up), or undefined when
// neither is named.
function tokenProvider(cli: Cli, env: unknown, file: unknown, where: string): (() => Promise<AccessToken>) | undefined {
  const read = typeof env === "string" && env
    ? (): Promise<string> => {
      const v = cli.io.env(env);
      if (v === undefined || v.trim() === "") throw new CliError(ExitCode.Usage, `${where}: environment variable ${env} (the OAUTHBEARER token) is not set`);
      return Promise.resolve(v.trim());
    }
    : typeof file === "string" && file
    ? async (): Promise<string> => (await readText(cli, file, "the OAUTHBEARER token file")).split(/\r?\n/)[0].trim()
    : undefined;
  if (!read) return undefined;
  return async () => {
    const token = await read();
    const exp = jwtExpiry(token);
    const left = exp === undefined ? undefined : exp - Date.now();
    return left !== undefined && left > 0 ? { token, lifetimeMs: left } : { token };
  };
}

/**
 * The brokers and library configuration from the flags, `KAFKA_BROKERS` and the config file.
 * The config file is a JSON object in the shape of the library's `ConfigOverrides` plus
 * `brokers`; under `net.tls.config`, `caFile`/`certFile`/`keyFile` read PEM files, and under
 * `net.sasl`, `passwordEnv`/`passwordFile` read the password and `tokenEnv`/`tokenFile` the
 * OAUTHBEARER token (never from argv).
 */
export async function connection(cli: Cli, flags: Record<string, unknown>): Promise<{ brokers: string[]; config: ConfigOverrides }> {
  const path = (flags.config as string | undefined) ?? cli.io.env("SAMSA_CONFIG");
  let file: Json = {};
  if (path) {
    const raw = await readText(cli, path, "config file");
    try {
      const parsed = JSON.parse(raw);
      if (!isObject(parsed)) throw new Error("the top level must be an object");
      file = parsed;
    } catch (e) {
      throw new CliError(ExitCode.Usage, `config file ${path} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const { brokers: fileBrokers, ...overrides } = file;
  const fromFile = typeof fileBrokers === "string" ? fileBrokers.split(",") : Array.isArray(fileBrokers) ? fileBrokers.map(String) : [];
  const flagBrokers = flags.brokers as string[];
  const envBrokers = (cli.io.env("KAFKA_BROKERS") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const brokers = flagBrokers.length ? flagBrokers : envBrokers.length ? envBrokers : fromFile.map((s) => s.trim()).filter(Boolean);
  if (brokers.length === 0) {
    throw new UsageError("no brokers: pass --brokers host:port, set KAFKA_BROKERS, or put \"brokers\" in a --config file");
  }
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(b)) throw new UsageError(`broker address ${JSON.stringify(b)} is not host:port`);
  }
  const net = isObject(overrides.net) ? { ...overrides.net } : {};
  const tls = isObject(net.tls) ? { ...net.tls } : {};
  const tlsConfig = isObject(tls.config) ? { ...tls.config } : {};
  for (const [k, target] of [["caFile", "ca"], ["certFile", "cert"], ["keyFile", "key"]] as const) {
    if (typeof tlsConfig[k] === "string") tlsConfig[target] = await readText(cli, tlsConfig[k] as string, `net.tls.config.${k}`);
    delete tlsConfig[k];
  }
  if (flags["tls-ca"]) tlsConfig.ca = await readText(cli, flags["tls-ca"] as string, "--tls-ca");
  if (flags.tls || flags["tls-ca"]) tls.enable = true;
  const sasl = isObject(net.sasl) ? { ...net.sasl } : {};
  if (typeof sasl.password === "string") {
    throw new CliError(ExitCode.Usage, `config file ${path}: net.sasl.password is refused; name the secret with net.sasl.passwordEnv (an environment variable) or net.sasl.passwordFile`);
  }
  const pw = (await password(cli, flags["sasl-password-env"], flags["sasl-password-file"], "--sasl-password-env")) ??
    (await password(cli, sasl.passwordEnv, sasl.passwordFile, `config file ${path}`));
  delete sasl.passwordEnv;
  delete sasl.passwordFile;
  if (pw !== undefined) sasl.password = pw;
  const tokens = tokenProvider(cli, flags["sasl-token-env"], flags["sasl-token-file"], "--sasl-token-env") ??
    tokenProvider(cli, sasl.tokenEnv, sasl.tokenFile, `config file ${path}`);
  delete sasl.tokenEnv;
  delete sasl.tokenFile;
  if (tokens) {
    await tokens(); // a missing variable or file is a usage error now, not a failed authentication later
    sasl.tokenProvider = tokens;
    sasl.mechanism ??= "OAUTHBEARER";
  }
  if (flags["sasl-mechanism"]) sasl.mechanism = flags["sasl-mechanism"];
  if (flags["sasl-user"]) sasl.user = flags["sasl-user"];
  if (flags["sasl-mechanism"] || flags["sasl-user"] || pw !== undefined || tokens) sasl.enable ??= true;
  // the command line wins over the file, the file over the CLI's defaults
  const timeout = (flags.timeout as number | undefined) ?? (net.dialTimeout as number | undefined) ?? 10_000;
  const metadata = isObject(overrides.metadata) ? { ...overrides.metadata } : {};
  if (metadata.allowAutoTopicCreation === true) {
    throw new CliError(ExitCode.Usage, `config file ${path}: metadata.allowAutoTopicCreation is refused: the CLI never creates topics implicitly (use samsa topics create)`);
  }
  const config: ConfigOverrides = {
    ...(overrides as ConfigOverrides),
    clientId: (flags["client-id"] as string | undefined) ?? (overrides.clientId as string | undefined) ?? "samsa-cli",
    net: { ...(net as ConfigOverrides["net"]), dialTimeout: timeout, tls: { ...tls, config: tlsConfig }, sasl } as ConfigOverrides["net"],
    // no background refreshes unless asked for: a command is short, and must not create topics
    metadata: { refreshFrequency: 0, ...metadata, allowAutoTopicCreation: false },
  };
  return { brokers, config };
}

const NOT_FOUND = new Set<number>([KError.UnknownTopicOrPartition, KError.GroupIdNotFound, KError.UnknownTopicId]);
const AUTH = new Set<number>([KError.TopicAuthorizationFailed, KError.GroupAuthorizationFailed, KError.ClusterAuthorizationFailed]);

/** Whether `e` is the error of a write to a pipe whose reader has gone (`samsa … | head`). */
export function isBrokenPipe(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === "EPIPE";
}

/**
 * The exit code and the one-line message of an error that ended a command. A closed stdout pipe
 * ends it quietly with 0 (message ""), as a pipeline expects of a reader that stopped early.
 */
export function classify(e: unknown): { code: ExitCode; message: string } {
  if (isBrokenPipe(e)) return { code: ExitCode.Ok, message: "" };
  const err = e instanceof Error ? e : new Error(String(e));
  if (err instanceof CliError) return { code: err.code, message: err.message };
  if (err instanceof UsageError) return { code: ExitCode.Usage, message: err.message };
  if (err instanceof ConfigurationError) return { code: ExitCode.Usage, message: err.message };
  if (isSaslFailure(err)) return { code: ExitCode.Auth, message: `authentication failed: ${err.message}` };
  if (err instanceof KafkaError) {
    if (NOT_FOUND.has(err.code)) return { code: ExitCode.NotFound, message: err.message };
    if (AUTH.has(err.code)) return { code: ExitCode.Auth, message: err.message };
    return { code: ExitCode.Error, message: err.message };
  }
  if (err.name === "ErrOutOfBrokers") return { code: ExitCode.Unreachable, message: `cannot reach the cluster: ${err.message}` };
  return { code: ExitCode.Error, message: err.message };
}

/** Throws a not-found {@link CliError} for a topic, with a hint. */
export function topicNotFound(topic: string): CliError {
  return new CliError(ExitCode.NotFound, `topic ${JSON.stringify(topic)} does not exist (see: samsa topics list)`);
}

/** Parses a timestamp flag: milliseconds since the epoch or an ISO 8601 date. */
export function parseTime(s: string, flag: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new UsageError(`--${flag} needs ms since the epoch or an ISO 8601 date, got ${JSON.stringify(s)}`);
  return t;
}

/** The partition ids of a topic, or a not-found {@link CliError}. */
export async function topicPartitions(admin: ClusterAdmin, topic: string): Promise<number[]> {
  const [d] = await admin.describeTopics([topic]);
  if (d.error) {
    if (NOT_FOUND.has(d.error.code)) throw topicNotFound(topic);
    throw d.error;
  }
  return d.partitions.map((p) => p.partition).sort((a, b) => a - b);
}

/**
 * Splits a stream of byte chunks into lines of bytes (without `\n` or `\r\n`; a last line
 * without a newline counts), as they are: input that is not UTF-8 is not changed. Ends at once
 * when `signal` aborts, even while a read is pending (Ctrl-C on a terminal that sends nothing).
 */
export async function* lines(chunks: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = signal && new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  let rest: Uint8Array = new Uint8Array(0);
  try {
    while (true) {
      const next = aborted ? await Promise.race([it.next(), aborted]) : await it.next();
      if (next === "aborted") return;
      if (next.done) break;
      const buf = rest.length === 0 ? next.value : join(rest, next.value);
      let start = 0;
      let nl: number;
      while ((nl = buf.indexOf(10, start)) >= 0) {
        yield buf.slice(start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl);
        start = nl + 1;
      }
      rest = buf.slice(start);
      if (signal?.aborted) return;
    }
    if (rest.length > 0) yield rest[rest.length - 1] === 13 ? rest.subarray(0, -1) : rest;
  } finally {
    if (onAbort) signal!.removeEventListener("abort", onAbort);
    void it.return?.()?.catch?.(() => {}); // not awaited: a pending read may never end
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * For `--end`: calls `reached(partition)` once per partition, when its consumer has fetched up to
 * its end offset (`ends`) and every fetched message has been taken, checked every `everyMs`, or
 * when the caller says so ({@link EndWatch.reach}: it took the record at `end - 1`, or was handed
 * one at `end` or later). The position matters, not a record at `end - 1`: a partition that ends
 * with a transaction marker, with aborted records under read_committed, or with a compacted tail
 * has none, but its consumer's position still gets there. Stop it with {@link EndWatch.stop}.
 */
export function watchEnds(
  pcs: readonly { partition: number; nextOffset(): number; bufferedCount(): number }[],
  ends: ReadonlyMap<number, number>,
  reached: (partition: number) => void,
  everyMs: number = 100,
): EndWatch {
  const open = new Set(pcs.map((pc) => pc.partition));
  const reach = (p: number): void => {
    if (!open.delete(p)) return;
    if (open.size === 0) clearInterval(timer);
    reached(p);
  };
  const check = (): void => {
    for (const pc of pcs) {
      if (open.has(pc.partition) && pc.nextOffset() >= (ends.get(pc.partition) ?? 0) && pc.bufferedCount() === 0) reach(pc.partition);
    }
  };
  const timer = setInterval(check, everyMs);
  check();
  return { reach, stop: () => clearInterval(timer), get open() { return open.size; } };
}

/** What {@link watchEnds} returns. */
export interface EndWatch {
  /** Marks a partition as at its end. */
  reach(partition: number): void;
  /** Stops checking. */
  stop(): void;
  /** Partitions that have not reached their end yet. */
  readonly open: number;
}

/** The first index of `needle` in `hay`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  const first = needle[0];
  for (let i = hay.indexOf(first); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
