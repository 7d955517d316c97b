// SanoidPolicy's lifecycle: one section of /etc/sanoid/sanoid.conf, either a
// dataset's policy (`[pool/ds]`) or a template (`[template_name]`). Edits go
// through the shared remote-file helper (host lock, compare-and-swap, atomic
// write, sanoid's own validation). check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type FileKind, editRemoteFile, readRemoteFile } from "../remotefile";
import { knownHosts } from "../transport";
import { type Failure, hasUnknown, hostProblem, isUnknown, zodFailures } from "../remotefile/inputs";
import {
  TEMPLATE_NAME,
  describeDuplicate,
  duplicates,
  keyProblem,
  parseIni,
  removeSection,
  sectionDatasetProblem,
  setSection,
  settingsOf,
  validateConf,
} from "./conf";

export const SANOID_CONF = "/etc/sanoid/sanoid.conf";
export const SANOID_FILE: FileKind = { validator: "sanoid", problems: validateConf, label: "sanoid.conf" };

export interface SanoidPolicyInputs {
  host: string;
  /** A dataset's policy... */
  dataset?: string;
  /** ...or a template (`[template_<name>]`). */
  template?: string;
  /** use_template, in order. */
  templates?: string[];
  recursive?: "yes" | "zfs" | "no";
  processChildrenOnly?: boolean;
  /** Other sanoid settings of the section (for a template: all of them). */
  settings?: Record<string, string>;
  /** Merge the copies of a duplicated section into one instead of refusing. */
  resolveDuplicates?: boolean;
  /** The file; /etc/sanoid/sanoid.conf unless testing. */
  path?: string;
}

export interface SanoidPolicyOutputs extends SanoidPolicyInputs {
  /** The section's name in the file. */
  section: string;
  /** The section's settings as sanoid reads them. */
  live: Record<string, string>;
  /** Duplicated sections anywhere in the file (sanoid merges them; the first value of a key wins). */
  duplicates: string[];
}

const raw = z
  .object({
    host: z.string(),
    dataset: z.string().optional(),
    template: z.string().optional(),
    templates: z.array(z.string()).optional(),
    recursive: z.enum(["yes", "zfs", "no"]).optional(),
    processChildrenOnly: z.boolean().optional(),
    settings: z.record(z.string(), z.string()).default({}),
    resolveDuplicates: z.boolean().default(false),
    path: z.string().regex(/^\/[A-Za-z0-9_.\/-]+$/, "must be an absolute path").default(SANOID_CONF),
  })
  .passthrough();

const TYPED: Record<string, string> = { use_template: "templates", recursive: "recursive", process_children_only: "processChildrenOnly" };

export function sectionName(i: SanoidPolicyInputs): string {
  return i.template !== undefined ? `template_${i.template}` : i.dataset!;
}

/** The section's lines as key/value pairs, in the order they are written. */
export function entriesOf(i: SanoidPolicyInputs): [string, string][] {
  const out: [string, string][] = [];
  if (i.templates?.length) out.push(["use_template", i.templates.join(",")]);
  if (i.recursive) out.push(["recursive", i.recursive]);
  if (i.processChildrenOnly !== undefined) out.push(["process_children_only", i.processChildrenOnly ? "yes" : "no"]);
  for (const [k, v] of Object.entries(i.settings ?? {})) out.push([k, v]);
  return out;
}

export function checkSanoidPolicy(
  news: Record<string, unknown>,
  /** The hosts of `zfs-fleet:hosts`, once the provider is configured. */
  configuredHosts: readonly string[] = [],
): { inputs: Record<string, unknown>; failures: Failure[] } {
  const parsed = raw.safeParse(news);
  if (!parsed.success) return { inputs: news, failures: zodFailures(parsed.error.issues) };
  const d = parsed.data;
  const failures: Failure[] = [];
  const hp = hostProblem(d.host, configuredHosts);
  if (hp) failures.push({ property: "host", reason: hp });
  if ((d.dataset === undefined) === (d.template === undefined)) {
    failures.push({ property: "dataset", reason: "give either dataset (a dataset's policy) or template (a template), not both or neither" });
  }
  const inTemplate = d.template !== undefined;
  if (d.dataset !== undefined && !isUnknown(d.dataset)) {
    const p = sectionDatasetProblem(d.dataset);
    if (p) failures.push({ property: "dataset", reason: p });
  }
  if (d.template !== undefined && !isUnknown(d.template) && !TEMPLATE_NAME.test(d.template)) {
    failures.push({ property: "template", reason: `"${d.template}" is not a template name (letters, digits, _ and -)` });
  }
  if (inTemplate) {
    for (const f of ["templates", "recursive", "processChildrenOnly"] as const) {
      if (d[f] !== undefined) failures.push({ property: f, reason: `sanoid ignores ${f} inside a template; set it on the datasets' policies` });
    }
  }
  (d.templates ?? []).forEach((t, i) => {
    if (!isUnknown(t) && !TEMPLATE_NAME.test(t)) failures.push({ property: `templates[${i}]`, reason: `"${t}" is not a template name (letters, digits, _ and -)` });
  });
  for (const [k, v] of Object.entries(d.settings)) {
    if (k in TYPED) {
      failures.push({ property: `settings.${k}`, reason: `set ${k} with the ${TYPED[k]} input` });
      continue;
    }
    if (isUnknown(v)) continue;
    const p = keyProblem(k, v, inTemplate);
    if (p) failures.push({ property: `settings.${k}`, reason: p });
  }
  return { inputs: { ...news, ...d }, failures };
}

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return checkSanoidPolicy(news, knownHosts());
}

const sameEntries = (a: Record<string, string>, b: [string, string][]) =>
  Object.keys(a).length === b.length && b.every(([k, v]) => a[k] === v);

export async function diff(_id: string, olds: SanoidPolicyOutputs, news: SanoidPolicyInputs): Promise<pulumi.dynamic.DiffResult> {
  const replaces: string[] = [];
  if (olds.host !== news.host) replaces.push("host");
  if ((olds.path ?? SANOID_CONF) !== (news.path ?? SANOID_CONF)) replaces.push("path");
  if ((olds.template === undefined) !== (news.template === undefined)) replaces.push(news.template === undefined ? "dataset" : "template");
  const wanted = entriesOf(news);
  const changes =
    replaces.length > 0 ||
    sectionName(olds) !== sectionName(news) ||
    JSON.stringify(entriesOf(olds)) !== JSON.stringify(wanted) ||
    (olds.resolveDuplicates ?? false) !== (news.resolveDuplicates ?? false) ||
    (!hasUnknown(news) && olds.live !== undefined && !sameEntries(olds.live, wanted));
  return { changes, replaces, deleteBeforeReplace: true };
}

function outputsOf(inputs: SanoidPolicyInputs, content: string | undefined): SanoidPolicyOutputs {
  const doc = parseIni(content ?? "");
  return {
    ...inputs,
    section: sectionName(inputs),
    live: settingsOf(doc, sectionName(inputs)) ?? {},
    duplicates: duplicates(doc).map((d) => describeDuplicate(d)),
  };
}

const pathOf = (i: SanoidPolicyInputs) => i.path ?? SANOID_CONF;

export async function create(inputs: SanoidPolicyInputs): Promise<pulumi.dynamic.CreateResult> {
  const name = sectionName(inputs);
  const r = await editRemoteFile(
    inputs.host,
    pathOf(inputs),
    (old) => setSection(old ?? "", name, entriesOf(inputs), { resolveDuplicates: inputs.resolveDuplicates }),
    SANOID_FILE,
  );
  return { id: `${inputs.host}:${pathOf(inputs)}:[${name}]`, outs: outputsOf(inputs, r.content) };
}

export async function read(id: string, props: SanoidPolicyOutputs): Promise<pulumi.dynamic.ReadResult> {
  const content = await readRemoteFile(props.host, pathOf(props));
  const doc = parseIni(content ?? "");
  if (!doc.sections.some((s) => s.name === sectionName(props))) return { id: "", props: {} };
  return { id, props: outputsOf(props, content) };
}

export async function update(_id: string, olds: SanoidPolicyOutputs, news: SanoidPolicyInputs): Promise<pulumi.dynamic.UpdateResult> {
  const from = sectionName(olds);
  const name = sectionName(news);
  const r = await editRemoteFile(
    news.host,
    pathOf(news),
    (old) => setSection(old ?? "", name, entriesOf(news), { renameFrom: from !== name ? from : undefined, resolveDuplicates: news.resolveDuplicates }),
    SANOID_FILE,
  );
  return { outs: outputsOf(news, r.content) };
}

export async function remove(_id: string, props: SanoidPolicyOutputs): Promise<void> {
  await editRemoteFile(props.host, pathOf(props), (old) => (old === undefined ? "" : removeSection(old, sectionName(props))), SANOID_FILE);
}
