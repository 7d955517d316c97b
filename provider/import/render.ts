// A host's description (describe.ts) as a program module: the host's
// resources as data, one entry per line in a stable order (datasets in tree
// order, grants and shares by dataset, sections and lines in their file's
// order), then the same few lines of code in every imported module that turn
// the entries into resources. Pure: the same description gives the same
// bytes (no date in it), so importing a host again shows what changed as a
// diff.
import { DEFAULT_FILES } from "../transport/connection";
import type { DatasetEntry, Description } from "./describe";

export interface RenderOptions {
  /** What the module imports the resource classes from (default the package, "zfs-fleet-provider"). */
  providerImport?: string;
  /** The version of the provider that wrote it (said in the header). */
  version?: string;
  /** How the read was made, for the header (`node tools/import.ts off1 ...`). */
  command?: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A value as TypeScript source, on one line: strings as JSON (valid TS), keys quoted when they must be. */
export function literal(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(v)}`).join(", ")} }`;
}

/** A comment line's text: one line, control characters shown escaped. */
const commentText = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

function list(name: string, type: string, doc: string, entries: readonly object[]): string {
  const body = entries.map((e) => `  ${literal(e)},`).join("\n");
  return `/** ${doc} */\nexport const ${name}: ${type}[] = [${entries.length ? `\n${body}\n` : ""}];\n`;
}

/** The code every imported module ends with: entries to resources. */
export const BUILDER = `// ---------------------------------------------------------------------------
// The resources, from the entries above (the same code in every imported module).

/** A dataset of this host: a DATASETS key (its name follows renames), or a name as is (a pool's root, a dataset not managed). */
type Ref = string;
interface DatasetEntry { key: string; name: string; guid: string; properties: Record<string, string> }
interface GrantEntry { key: string; dataset: Ref; who: { user?: string; group?: string; everyone?: true }; permissions: string[]; scope: "local" | "descendent" | "both" }
interface TemplateEntry { key: string; name: string; settings: Record<string, string> }
interface PolicyEntry { key: string; dataset: Ref; templates?: string[]; recursive?: "yes" | "zfs" | "no"; processChildrenOnly?: boolean; settings: Record<string, string> }
/** A pull's source: \`dataset\` is a Ref when the source is on this host (no \`host\`: a push's source). \`target\`: a Ref, or a push's remote end as written. */
interface PullEntry { key: string; source: { user?: string; host?: string; dataset: string }; target: string; flags: string[]; enabled: boolean }
interface ShareEntry { key: string; dataset: Ref; clients: { address: string; access: "rw" | "ro" }[]; options: string[]; allowEveryone: boolean }

/** The host's resources. The stack can export what it returns: the host, and each dataset's key with its current name. */
export function program(host: string = HOST) {
  // A dataset waits for its closest managed ancestor, so a new parent exists before datasets move into it.
  const datasets = new Map<string, Dataset>();
  const byDepth = [...DATASETS].sort((a, b) => a.name.split("/").length - b.name.split("/").length);
  for (const d of byDepth) {
    const parent = byDepth.filter((p) => d.name.startsWith(\`\${p.name}/\`)).pop();
    const dependsOn = parent ? [datasets.get(parent.key)!] : [];
    datasets.set(d.key, new Dataset(d.key, { host, name: d.name, properties: d.properties, adopt: true }, { dependsOn }));
  }
  const nameOf = (ref: Ref): pulumi.Input<string> => datasets.get(ref)?.name ?? ref;
  const after = (ref: Ref): pulumi.Resource[] => (datasets.has(ref) ? [datasets.get(ref)!] : []);

  for (const g of GRANTS) {
    new Delegation(g.key, { host, dataset: nameOf(g.dataset), who: g.who, permissions: g.permissions, scope: g.scope });
  }
  const templates = TEMPLATES.map((t) => new SanoidTemplate(t.key, { host, name: t.name, settings: t.settings }));
  for (const { key, dataset, ...section } of POLICIES) {
    new SanoidPolicy(key, { host, dataset: nameOf(dataset), ...section }, { dependsOn: [...templates, ...after(dataset)] });
  }
  for (const l of PULLS) {
    const source = l.source.host === undefined ? { dataset: nameOf(l.source.dataset) } : l.source;
    new SyncoidPull(l.key, { host, source, target: nameOf(l.target), flags: l.flags, enabled: l.enabled }, { dependsOn: after(l.target) });
  }
  // After every dataset: settling the exports runs \`zfs share -a\` over the whole host, which must not meet a rename half done.
  for (const { key, dataset, ...share } of SHARES) {
    new NfsShare(key, { host, dataset: nameOf(dataset), ...share }, { dependsOn: [...datasets.values()] });
  }
  return { host, datasets: pulumi.all(Object.fromEntries([...datasets].map(([key, d]) => [key, d.name]))) };
}
`;

/**
 * The host config's file keys the stack needs for this module: a file read at
 * a path other than the provider's default is named in zfs-fleet:hosts, or the
 * module's sections and lines would be looked for in the default file.
 */
function configFileLines(d: Description): string[] {
  const keys = (["sanoidConf", "syncoidArgs"] as const).filter((k) => d.files[k] !== DEFAULT_FILES[k]);
  if (!keys.length) return [`The host's files are the defaults (${DEFAULT_FILES.sanoidConf}, ${DEFAULT_FILES.syncoidArgs}).`];
  return [
    "The host's files are not at the defaults; the stack's config must say where they are:",
    ...keys.map((k) => `  pulumi config set --path zfs-fleet:hosts.${d.host}.${k} ${d.files[k]}`),
  ];
}

export function renderModule(d: Description, opts: RenderOptions = {}): string {
  const from = opts.providerImport ?? "zfs-fleet-provider";
  const header = [
    `Host ${d.host}, as the import read it${opts.version ? ` (zfs-fleet-provider ${opts.version})` : ""}${opts.command ? `: ${opts.command}` : ""}.`,
    "",
    "A program module that adopts the host as it is: its first `pulumi up` changes nothing there (every",
    "Dataset adopts, every grant, section, line and share below is the host's own) and the next preview",
    "is empty. From then on it is a program like any other: review its changes in `pulumi preview`.",
    "",
    "Keys: each resource's Pulumi name is a key that stays when a name changes. A dataset's key is its",
    "name when it was first imported, with its guid (ZFS's identity for it) kept beside it. To rename or",
    "move a dataset change its `name`, never its key: its grants, policy, pulls and share name it by",
    "key and follow it. Importing again with `--previous <this file>` keeps each key for its guid.",
    "",
    `Use: \`import { program } from "./<this file>"; export = program();\` as the project's program, with`,
    `\`zfs-fleet:hosts.${d.host}\` in the stack's config (zfs-fleet-provider's README).`,
    ...configFileLines(d),
    "",
    `Counts: ${d.datasets.length} datasets, ${d.grants.length} grants, ${d.templates.length} templates, ${d.policies.length} policies, ${d.pulls.length} pulls, ${d.shares.length} shares.`,
  ];
  if (d.unmanaged.length) header.push("", "Left as they are (nothing below manages them):", ...d.unmanaged.map((u) => `- ${commentText(u)}`));
  else header.push("", "Left as they are: nothing (everything the import read is described below).");
  if (d.firstUp.length) header.push("", "The first up still does this on the host (derived state, nothing described here changes):", ...d.firstUp.map((u) => `- ${commentText(u)}`));
  const out = [
    header.map((l) => (l ? `// ${l}` : "//")).join("\n"),
    `import * as pulumi from "@pulumi/pulumi";`,
    `import { Dataset, Delegation, NfsShare, SanoidPolicy, SanoidTemplate, SyncoidPull } from ${JSON.stringify(from)};`,
    "",
    `/** The host, as named in the stack's \`zfs-fleet:hosts\`. */`,
    `export const HOST = ${JSON.stringify(d.host)};`,
    "",
    list("DATASETS", "DatasetEntry", "Datasets, parents first. `properties`: those set on the dataset itself (inherited and default ones left out).", d.datasets),
    list("GRANTS", "GrantEntry", "`zfs allow` grants, per dataset (a DATASETS key, or a pool's root as is), grantee and scope.", d.grants),
    list("TEMPLATES", "TemplateEntry", `${d.files.sanoidConf}: the templates ([template_<name>]), in the file's order.`, d.templates),
    list("POLICIES", "PolicyEntry", `${d.files.sanoidConf}: the datasets' sections (a DATASETS key, or a name as is), in the file's order.`, d.policies),
    list("PULLS", "PullEntry", `${d.files.syncoidArgs}: the lines, in the file's order; \`enabled: false\` is a paused (commented out) line.`, d.pulls),
    list("SHARES", "ShareEntry", "NFS shares: sharenfs set on the dataset.", d.shares),
    BUILDER,
  ];
  return out.join("\n");
}

/**
 * The guid -> key table of a module written earlier: its DATASETS lines as
 * rendered (`{ key: "...", name: "...", guid: "..." ... }`), so that a
 * dataset renamed since keeps its key.
 */
export function previousKeys(module: string): Map<string, string> {
  const keys = new Map<string, string>();
  const line = /^\s*\{ key: ("(?:[^"\\]|\\.)*"), name: "(?:[^"\\]|\\.)*", guid: "(\d+)"/;
  for (const text of module.split("\n")) {
    const m = text.match(line);
    if (m) keys.set(m[2], JSON.parse(m[1]) as string);
  }
  return keys;
}

export type { DatasetEntry };
