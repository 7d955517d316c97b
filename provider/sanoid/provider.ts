// SanoidPolicy's lifecycle: one section of /etc/sanoid/sanoid.conf, either a
// dataset's policy (`[pool/ds]`) or a template (`[template_name]`). Edits go
// through the shared remote-file helper (host lock, compare-and-swap, atomic
// write, sanoid's own validation). check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { hasUnknown } from "../kind";
import { type FileKind, editRemoteFile, readRemoteFile } from "../remotefile";
import { configFile, knownHosts } from "../transport";
import { describeDuplicate, duplicates, parseIni, removeSection, setSection, settingsOf, validateConf } from "./conf";
import { type CheckedSanoidPolicyInputs, type SanoidPolicyInputs, type SanoidPolicyOutputs, sanoidPolicyKind } from "./schema";

/**
 * sanoid.conf is checked by sanoid itself on the host before it is replaced, unless it holds no
 * section: sanoid loads no such file (empty or comments only: "FATAL: cannot load"), so the file
 * left when the last template or policy goes would always be refused. It has nothing to check (the
 * pure checks still run), and sanoid finds nothing to do in it, as before the first section came.
 */
export const SANOID_FILE: FileKind = {
  validator: (content) => (parseIni(content).sections.length > 0 ? "sanoid" : "none"),
  problems: validateConf,
  label: "sanoid.conf",
};

export function sectionName(i: Partial<SanoidPolicyInputs>): string {
  return i.template !== undefined ? `template_${i.template}` : i.dataset!;
}

/** The section's lines as key/value pairs, in the order they are written. */
export function entriesOf(i: Partial<SanoidPolicyInputs>): [string, string][] {
  const out: [string, string][] = [];
  if (i.templates?.length) out.push(["use_template", i.templates.join(",")]);
  if (i.recursive) out.push(["recursive", i.recursive]);
  if (i.processChildrenOnly !== undefined) out.push(["process_children_only", i.processChildrenOnly ? "yes" : "no"]);
  for (const [k, v] of Object.entries(i.settings ?? {})) out.push([k, v]);
  return out;
}

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return sanoidPolicyKind.check(news, knownHosts());
}

const sameEntries = (a: Record<string, string>, b: [string, string][]) =>
  Object.keys(a).length === b.length && b.every(([k, v]) => a[k] === v);

export async function diff(_id: string, olds: SanoidPolicyOutputs, news: SanoidPolicyInputs): Promise<pulumi.dynamic.DiffResult> {
  // A policy that becomes a template, or back, is another section altogether.
  const switched = (olds.template === undefined) !== (news.template === undefined);
  const drift = !hasUnknown(news) && olds.live !== undefined && !sameEntries(olds.live, entriesOf(news));
  return sanoidPolicyKind.diff(olds, news, { replaces: switched ? [news.template === undefined ? "dataset" : "template"] : [], changed: drift });
}

function outputsOf(inputs: SanoidPolicyInputs, content: string | undefined): SanoidPolicyOutputs {
  const doc = parseIni(content ?? "");
  return {
    ...sanoidPolicyKind.complete(inputs),
    section: sectionName(inputs),
    live: settingsOf(doc, sectionName(inputs)) ?? {},
    duplicates: duplicates(doc).map((d) => describeDuplicate(d)),
  };
}

/** The host's sanoid.conf (its config, `zfs-fleet:hosts.<host>.sanoidConf`). */
const pathOf = (i: SanoidPolicyInputs) => configFile(i.host, "sanoidConf");

export async function create(inputs: CheckedSanoidPolicyInputs): Promise<pulumi.dynamic.CreateResult> {
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

export async function update(_id: string, olds: SanoidPolicyOutputs, news: CheckedSanoidPolicyInputs): Promise<pulumi.dynamic.UpdateResult> {
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
