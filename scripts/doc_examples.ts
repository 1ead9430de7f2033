/**
 * Lists every class, function and constant exported from the package's JSR entry points (jsr.json
 * "exports") whose JSDoc lacks an `@example`, or whose examples do not import from the package
 * ("@samsa/kafka", "@samsa/kafka/protocol", ...). Interfaces and type aliases are counted too, but
 * only as information: they do not fail the check.
 *
 *   deno run -A scripts/doc_examples.ts          # exit 1 when a required example is missing
 *   deno run -A scripts/doc_examples.ts --types  # also list interfaces and type aliases lacking one
 *
 * @module
 */

interface DocTag {
  kind: string;
  doc?: string;
}

interface DocDeclaration {
  kind: string;
  declarationKind?: string;
  location: { filename: string; line: number; col: number };
  jsDoc?: { doc?: string; tags?: DocTag[] };
}

interface DocSymbol {
  name: string;
  declarations: DocDeclaration[];
}

interface DocJson {
  nodes: Record<string, { symbols?: DocSymbol[] }>;
}

/** Kinds of declaration that must carry an example. */
const REQUIRED = new Set(["class", "function", "variable", "enum", "namespace"]);
/** Kinds whose example is nice to have. */
const OPTIONAL = new Set(["interface", "typeAlias"]);

type Status = "ok" | "missing" | "relative-import";

interface Finding {
  name: string;
  kind: string;
  entries: Set<string>;
  location: string;
  status: Status;
}

const root = new URL("../", import.meta.url);
const jsr = JSON.parse(await Deno.readTextFile(new URL("jsr.json", root))) as {
  name: string;
  exports: Record<string, string>;
};
const showTypes = Deno.args.includes("--types");

async function docJson(entry: string): Promise<DocJson> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno doc --json ${entry} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as DocJson;
}

/** Whether the code blocks of an `@example` import the package by name (and nothing relative). */
function examineExamples(examples: DocTag[]): Status {
  if (examples.length === 0) return "missing";
  for (const ex of examples) {
    const imports = [...(ex.doc ?? "").matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s+["']([^"']+)["']/g)]
      .map((m) => m[1] ?? m[2]);
    if (imports.some((s) => s.startsWith(".") || s.startsWith("/"))) return "relative-import";
    if (!imports.some((s) => s === jsr.name || s.startsWith(`${jsr.name}/`))) return "missing";
  }
  return "ok";
}

const rootPath = decodeURIComponent(root.pathname);
const findings = new Map<string, Finding>();

for (const [sub, path] of Object.entries(jsr.exports)) {
  const entry = sub === "." ? jsr.name : `${jsr.name}/${sub.replace(/^\.\//, "")}`;
  const doc = await docJson(path);
  for (const node of Object.values(doc.nodes)) {
    for (const sym of node.symbols ?? []) {
      const decls = sym.declarations.filter((d) => d.declarationKind !== "private");
      const value = decls.filter((d) => REQUIRED.has(d.kind));
      const typed = decls.filter((d) => OPTIONAL.has(d.kind));
      const relevant = value.length > 0 ? value : typed;
      if (relevant.length === 0) continue;
      const first = relevant[0];
      const file = decodeURIComponent(new URL(first.location.filename).pathname).replace(rootPath, "");
      const location = `${file}:${first.location.line}`;
      const key = `${sym.name}@${location}`;
      const examples = decls.flatMap((d) => (d.jsDoc?.tags ?? []).filter((t) => t.kind === "example"));
      const found = findings.get(key);
      if (found) {
        found.entries.add(entry);
        continue;
      }
      findings.set(key, {
        name: sym.name,
        kind: first.kind,
        entries: new Set([entry]),
        location,
        status: examineExamples(examples),
      });
    }
  }
}

const all = [...findings.values()].sort((a, b) => a.location.localeCompare(b.location, "en", { numeric: true }));
const required = all.filter((f) => REQUIRED.has(f.kind));
const optional = all.filter((f) => OPTIONAL.has(f.kind));
const lacking = required.filter((f) => f.status !== "ok");

for (const f of lacking) {
  const why = f.status === "missing" ? "no @example importing the package" : "@example imports a relative path";
  console.log(`${f.location}\t${f.kind}\t${f.name}\t${why}`);
}
if (showTypes) {
  for (const f of optional.filter((o) => o.status !== "ok")) {
    const why = f.status === "missing" ? "no @example importing the package" : "@example imports a relative path";
    console.log(`${f.location}\t${f.kind}\t${f.name}\t(optional) ${why}`);
  }
}

const KINDS = ["class", "function", "variable", "enum", "namespace", "interface", "typeAlias"];
console.log("");
console.log("kind        exported  with example  lacking");
for (const kind of KINDS) {
  const of = all.filter((f) => f.kind === kind);
  if (of.length === 0) continue;
  const ok = of.filter((f) => f.status === "ok").length;
  const note = OPTIONAL.has(kind) ? "  (optional)" : "";
  const cells = [String(of.length).padStart(8), String(ok).padStart(14), String(of.length - ok).padStart(9)];
  console.log(`${kind.padEnd(12)}${cells.join("")}${note}`);
}
const ok = required.length - lacking.length;
console.log(`\nrequired: ${required.length} exported, ${ok} with an example, ${lacking.length} lacking`);
if (lacking.length > 0) Deno.exit(1);
