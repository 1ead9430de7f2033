/**
 * A small argument parser: a table of flags (name, type, default, help) from which both the
 * parsing and the `--help` text come. `--name value`, `--name=value`, `-x value`, `--no-name` for
 * booleans, repeatable list flags, and `--` to end the flags. An unknown flag, a missing or
 * malformed value is a {@link UsageError} (exit code 2).
 *
 * @module
 */

/** A mistake in the command line: the message says what, and the program exits with code 2. */
export class UsageError extends Error {
  /** Creates the error. @param message what is wrong @param help the command whose --help to mention */
  constructor(message: string, help?: string) {
    super(help ? `${message}\n(see: samsa ${help} --help)` : message);
    this.name = "UsageError";
  }
}

/** The type of a flag's value. */
export type FlagType = "string" | "int" | "number" | "bool" | "list";

/** One flag of a command. */
export interface FlagSpec {
  /** Long name, without dashes: `brokers` for `--brokers`. */
  name: string;
  /** One-letter alias, without the dash. */
  short?: string;
  /** Value type: a `list` flag may repeat (`-H a=1 -H b=2`) and also splits on commas when `split` is set. */
  type: FlagType;
  /** One line of help. */
  help: string;
  /** The value when the flag is absent. */
  default?: string | number | boolean | string[];
  /** Allowed values (string flags). */
  choices?: readonly string[];
  /** The value's name in the help text, e.g. `N` or `FILE`. */
  arg?: string;
  /** Split each value of a list flag on commas. */
  split?: boolean;
}

/** A command's description for parsing and help. */
export interface CommandSpec {
  /** The command path, e.g. `topics create`. */
  name: string;
  /** Positional arguments as shown in the usage line, e.g. `TOPIC [FILE]`. */
  usage?: string;
  /** What the command does (a paragraph). */
  summary: string;
  /** The command's own flags (the common ones are added by the caller). */
  flags: FlagSpec[];
  /** Examples shown at the end of the help. */
  examples?: string[];
}

/** Parsed values by flag name. */
export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

/** The result of {@link parseArgs}. */
export interface Parsed {
  /** Values by flag name (defaults applied). */
  flags: FlagValues;
  /** Arguments that are not flags, in order. */
  positionals: string[];
  /** Whether `--help`/`-h` was given. */
  help: boolean;
}

const HELP_FLAG: FlagSpec = { name: "help", short: "h", type: "bool", help: "show this help" };

function parseValue(spec: FlagSpec, raw: string, cmd: string): string | number {
  if (spec.type === "int") {
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new UsageError(`--${spec.name} needs an integer, got ${JSON.stringify(raw)}`, cmd);
    }
    return Number(raw);
  }
  if (spec.type === "number") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${spec.name} needs a number, got ${JSON.stringify(raw)}`, cmd);
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`--${spec.name} must be one of ${spec.choices.join(", ")}; got ${JSON.stringify(raw)}`, cmd);
  }
  return raw;
}

/**
 * Parses `argv` against `spec`. Throws {@link UsageError} on an unknown flag, a flag without its
 * value, or a value of the wrong type.
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec): Parsed {
  const flags: FlagValues = {};
  const all = [...spec.flags, HELP_FLAG];
  const byName = new Map(all.map((f) => [f.name, f]));
  const byShort = new Map(all.filter((f) => f.short).map((f) => [f.short!, f]));
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-" || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let f: FlagSpec | undefined;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      f = byName.get(name);
      if (!f && name.startsWith("no-") && byName.get(name.slice(3))?.type === "bool" && inline === undefined) {
        flags[name.slice(3)] = false;
        continue;
      }
    } else {
      name = a.slice(1, 2);
      inline = a.length > 2 ? a.slice(2).replace(/^=/, "") : undefined;
      f = byShort.get(name);
    }
    if (!f) {
      if (name === "password" || name === "sasl-password") {
        throw new UsageError(
          `--${name} is refused: a password on the command line is visible to every user of this machine (ps) and ` +
            `stays in shell history. Name an environment variable (--sasl-password-env VAR) or a file ` +
            `(--sasl-password-file PATH), or set them in a --config file`,
        );
      }
      throw new UsageError(`unknown flag ${a.startsWith("--") ? `--${name}` : `-${name}`}`, spec.name);
    }
    if (f.name === "help") {
      help = true;
      continue;
    }
    if (f.type === "bool") {
      if (inline === undefined) flags[f.name] = true;
      else if (inline === "true" || inline === "false") flags[f.name] = inline === "true";
      else throw new UsageError(`--${f.name} takes no value (or =true/=false), got ${JSON.stringify(inline)}`, spec.name);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${f.name} needs a value${f.arg ? ` (${f.arg})` : ""}`, spec.name);
      raw = argv[++i];
    }
    if (f.type === "list") {
      const prev = (flags[f.name] as string[] | undefined) ?? [];
      flags[f.name] = [...prev, ...(f.split ? raw.split(",").map((s) => s.trim()).filter(Boolean) : [raw])];
    } else {
      flags[f.name] = parseValue(f, raw, spec.name);
    }
  }
  for (const f of spec.flags) {
    if (flags[f.name] === undefined && f.default !== undefined) flags[f.name] = f.default;
    if (flags[f.name] === undefined && f.type === "list") flags[f.name] = [];
  }
  return { flags, positionals, help };
}

/** The `--help` text of a command, generated from the same table the parser uses. */
export function helpText(spec: CommandSpec): string {
  const all = [...spec.flags, HELP_FLAG];
  const left = all.map((f) => {
    const arg = f.type === "bool" ? "" : ` ${f.arg ?? (f.type === "int" || f.type === "number" ? "N" : "VALUE")}`;
    return `  ${f.short ? `-${f.short}, ` : "    "}--${f.name}${arg}`;
  });
  const width = Math.min(36, Math.max(...left.map((l) => l.length)) + 2);
  const lines = all.map((f, i) => {
    let h = f.help;
    if (f.choices) h += ` (${f.choices.join("|")})`;
    if (f.default !== undefined && f.default !== false && !(Array.isArray(f.default) && f.default.length === 0)) {
      h += ` [default: ${Array.isArray(f.default) ? f.default.join(",") : f.default}]`;
    }
    if (f.type === "list") h += " (repeatable)";
    const l = left[i];
    return l.length + 1 >= width ? `${l}\n${" ".repeat(width)}${h}` : `${l.padEnd(width)}${h}`;
  });
  const out = [`Usage: samsa ${spec.name}${spec.flags.length ? " [flags]" : ""}${spec.usage ? ` ${spec.usage}` : ""}`, "", spec.summary, "", "Flags:", ...lines];
  if (spec.examples?.length) out.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
  return out.join("\n") + "\n";
}

/** Splits `key=value` (the first `=`); throws {@link UsageError} naming `what` when there is none. */
export function keyValue(s: string, what: string, cmd?: string): [string, string] {
  const eq = s.indexOf("=");
  if (eq <= 0) throw new UsageError(`${what} must look like key=value, got ${JSON.stringify(s)}`, cmd);
  return [s.slice(0, eq), s.slice(eq + 1)];
}
