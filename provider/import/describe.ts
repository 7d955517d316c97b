// From what a host holds (facts.ts) to the resources that adopt it as it is:
// Datasets (adopt) with the properties set on them, Delegations per grantee
// and scope, SanoidTemplates and SanoidPolicies per section, SyncoidPulls per
// line (active or paused), NfsShares per sharenfs. Pure.
//
// Each resource is checked as the provider checks it (the kind's `check`)
// and planned against the same facts with the provider's own planning (the
// sanoid.conf and syncoid-args.conf editors, the `zfs allow` plan, the share
// comparison): only what plans no change is described. Anything else (a
// duplicated section, two lines pulling into one target, a permission or
// property a resource refuses, a line it does not understand) is left out,
// unmanaged, and said in `unmanaged`: never changed by the program.
//
// Keys (the resources' Pulumi names) stay when names change: a dataset's key
// is its name when it was first imported (or the key `previousKeys` gives its
// guid); a grant, policy, pull or share takes its dataset's key.
import { propertyProblem } from "../dataset/properties";
import { datasetKind } from "../dataset/schema";
import { type Grants, type Scope, isEmptyPlan, parseAllow, planAllow, wanted } from "../delegation/allow";
import { delegationKind } from "../delegation/schema";
import { shown } from "../names";
import { shareOf } from "../nfs/provider";
import { nfsShareKind } from "../nfs/schema";
import { type Client, type FilesystemRow, addressProblem, checkExports, parseExportsFile, parseSharenfs, shareKey } from "../nfs/sharenfs";
import { describeDuplicate, duplicates, parseIni, setSection, validateConf } from "../sanoid/conf";
import { entriesOf } from "../sanoid/provider";
import { sanoidPolicyKind } from "../sanoid/schema";
import { type Endpoint, duplicateTargets, lineProblems, parseArgs, parseEndpoint, setPull } from "../syncoid/args";
import { syncoidPullKind } from "../syncoid/schema";
import type { DatasetFacts } from "../zfs/inventory";
import type { FileRead, HostFacts } from "./facts";

/** A dataset of this host: a key of `datasets` (it follows renames), or a name as is (a pool's root, a dataset not managed). */
export type Ref = string;

export interface DatasetEntry {
  key: string;
  name: string;
  /** ZFS's identity of the dataset (the Dataset's id): recorded so that a later import keeps the key. */
  guid: string;
  properties: Record<string, string>;
}

export interface Who {
  user?: string;
  group?: string;
  everyone?: true;
}

export interface GrantEntry {
  key: string;
  dataset: Ref;
  who: Who;
  permissions: string[];
  scope: Scope;
}

export interface TemplateEntry {
  key: string;
  name: string;
  settings: Record<string, string>;
}

export interface PolicyEntry {
  key: string;
  dataset: Ref;
  templates?: string[];
  recursive?: "yes" | "zfs" | "no";
  processChildrenOnly?: boolean;
  settings: Record<string, string>;
}

export interface PullEntry {
  key: string;
  /** `dataset` is a Ref when the source is on this host (no `host`: a push's source). */
  source: Endpoint;
  /** A Ref, or a push's remote end `user@host:dataset` as written. */
  target: string;
  flags: string[];
  enabled: boolean;
}

export interface ShareEntry {
  key: string;
  dataset: Ref;
  clients: Client[];
  options: string[];
  allowEveryone: boolean;
}

export interface Description {
  host: string;
  files: { sanoidConf: string; syncoidArgs: string };
  datasets: DatasetEntry[];
  grants: GrantEntry[];
  templates: TemplateEntry[];
  policies: PolicyEntry[];
  pulls: PullEntry[];
  shares: ShareEntry[];
  /** What is left as it is, each said once, for the module's header. */
  unmanaged: string[];
  /** What the first `up` will still do on the host, though nothing the program describes changes (zfs.exports regenerated). */
  firstUp: string[];
}

export interface DescribeOptions {
  /** guid -> key, from an earlier import of the host: a dataset renamed since keeps its key. */
  previousKeys?: ReadonlyMap<string, string>;
}

/** Dataset names in tree order: a parent right before its children, siblings by name. */
export function treeOrder(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/** Keys made unique within a kind: a second `k` is `k~2`. */
class Keys {
  private readonly used = new Set<string>();
  take(wanted: string): string {
    let key = wanted;
    for (let n = 2; this.used.has(key); n++) key = `${wanted}~${n}`;
    this.used.add(key);
    return key;
  }
}

const failuresText = (failures: { property: string; reason: string }[]) => failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
const lines = (n: readonly number[]) => (n.length === 1 ? `line ${n[0]}` : `lines ${n.join(", ")}`);

export function describeHost(host: string, facts: HostFacts, opts: DescribeOptions = {}): Description {
  const unmanaged: string[] = [];
  const firstUp: string[] = [];
  const all = [...facts.datasets.byName.values()].sort((a, b) => treeOrder(a.name, b.name));
  for (const f of facts.failures) unmanaged.push(`the read reported: ${f}`);

  // --- datasets
  const datasetKeys = new Keys();
  const datasets: DatasetEntry[] = [];
  const keyOf = new Map<string, string>();
  const ref = (name: string): Ref => keyOf.get(name) ?? name;
  for (const ds of all) {
    const set = Object.entries(ds.properties).filter(([, p]) => p.source === "local").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const received = Object.entries(ds.properties).filter(([, p]) => p.source === "received").map(([k]) => k);
    if (!ds.name.includes("/")) {
      const props = set.map(([k, p]) => `${k}=${p.value}`).join(", ");
      unmanaged.push(`pool ${ds.name}'s root (a Dataset cannot be a pool's root; its grants, policy and share are managed below)${props ? `: set on it ${props}` : ""}`);
      continue;
    }
    if (ds.type !== "filesystem") {
      unmanaged.push(`${ds.type || "dataset"} ${ds.name}: a Dataset is a filesystem`);
      continue;
    }
    const properties: Record<string, string> = {};
    for (const [k, p] of set) {
      if (k === "sharenfs") continue; // the share's (NfsShare below)
      const problem = propertyProblem(k, p.value);
      if (problem) unmanaged.push(`${ds.name}: ${k}=${shown(p.value).slice(1, -1)} is set on it, which a Dataset cannot manage (${k} ${problem})`);
      else properties[k] = p.value;
    }
    if (received.length) unmanaged.push(`${ds.name}: received ${received.sort().join(", ")} (replication's, not managed)`);
    const checked = datasetKind.check({ host, name: ds.name, properties, adopt: true });
    if (checked.failures.length) {
      unmanaged.push(`dataset ${ds.name}: ${failuresText(checked.failures)}`);
      continue;
    }
    const key = datasetKeys.take(opts.previousKeys?.get(ds.guid) ?? ds.name);
    keyOf.set(ds.name, key);
    datasets.push({ key, name: ds.name, guid: ds.guid, properties });
  }

  // --- grants (zfs allow), on every dataset and pool root
  const grantKeys = new Keys();
  const grants: GrantEntry[] = [];
  for (const ds of all) {
    const read = facts.allow.get(ds.name);
    if (!read || read.exitCode !== 0 || read.output.trim() === "") continue;
    let block;
    try {
      block = parseAllow(read.output, ds.name);
    } catch (err) {
      unmanaged.push(`zfs allow ${ds.name}: ${(err as Error).message}; its grants are left as they are`);
      continue;
    }
    for (const [name, perms] of Object.entries(block.sets).sort(([a], [b]) => (a < b ? -1 : 1))) {
      unmanaged.push(`zfs allow ${ds.name}: the permission set ${name} (${perms.join(",")}) is defined there (zfs allow -s): no resource manages set definitions`);
    }
    if (block.createTime.length) unmanaged.push(`zfs allow ${ds.name}: create-time permissions ${block.createTime.join(",")} (zfs allow -c): no resource manages them`);
    for (const [label, live] of Object.entries(block.grants).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const entries = grantEntries(label, live);
      const problems: string[] = [];
      for (const e of entries) {
        const args = { host, dataset: ds.name, who: e.who, permissions: e.permissions, scope: e.scope };
        const checked = delegationKind.check(args);
        if (checked.failures.length) problems.push(failuresText(checked.failures));
        else if (!isEmptyPlan(planAllow(live, wanted(e.permissions, e.scope), e.scope))) problems.push("the provider's plan would change the grants");
      }
      if (!entries.length || problems.length) {
        const held = `local ${live.local.join(",") || "-"}; descendent ${live.descendent.join(",") || "-"}`;
        unmanaged.push(`zfs allow ${ds.name} for ${label} (${held}): ${problems.join("; ") || "not a grantee a Delegation can name"}; left as it is`);
        continue;
      }
      for (const e of entries) {
        const whoKey = e.who.user ?? (e.who.group !== undefined ? `group-${e.who.group}` : "everyone");
        const key = grantKeys.take(`${whoKey}-${ref(ds.name)}${e.scope === "both" ? "" : `-${e.scope}`}`);
        grants.push({ key, dataset: ref(ds.name), who: e.who, permissions: e.permissions, scope: e.scope });
      }
    }
  }

  // --- sanoid.conf
  const templates: TemplateEntry[] = [];
  const policies: PolicyEntry[] = [];
  const sanoid = contentOf(facts.sanoidConf, "sanoid.conf", unmanaged);
  if (sanoid !== undefined) {
    const doc = parseIni(sanoid);
    const dups = duplicates(doc);
    for (const d of dups) unmanaged.push(`sanoid.conf: ${describeDuplicate(d)}; left as it is (managing it would rewrite it)`);
    for (const problem of validateConf(sanoid)) unmanaged.push(`sanoid.conf ${problem}; left as it is`);
    const policyKeys = new Keys();
    for (const section of doc.sections) {
      if (dups.some((d) => d.name === section.name)) continue;
      const where = `sanoid.conf [${section.name}] (line ${section.header + 1})`;
      const again = section.keys.map((k) => k.key).filter((k, i, all) => all.indexOf(k) !== i);
      if (again.length) {
        unmanaged.push(`${where}: ${again.join(", ")} given more than once (sanoid reads the first); left as it is`);
        continue;
      }
      const values = Object.fromEntries(section.keys.map((k) => [k.key, k.value]));
      let args: Record<string, unknown>;
      let entry: TemplateEntry | PolicyEntry;
      if (section.name.startsWith("template_")) {
        const name = section.name.slice("template_".length);
        args = { host, template: name, settings: values };
        entry = { key: `template_${name}`, name, settings: values };
      } else {
        const { use_template, recursive, process_children_only, ...settings } = values;
        if (process_children_only !== undefined && process_children_only !== "yes" && process_children_only !== "no") {
          unmanaged.push(`${where}: process_children_only = ${process_children_only} (the resource writes yes or no); left as it is`);
          continue;
        }
        const policy: PolicyEntry = {
          key: policyKeys.take(ref(section.name)),
          dataset: ref(section.name),
          templates: use_template?.split(","),
          recursive: recursive as PolicyEntry["recursive"],
          processChildrenOnly: process_children_only === undefined ? undefined : process_children_only === "yes",
          settings,
        };
        for (const k of ["templates", "recursive", "processChildrenOnly"] as const) if (policy[k] === undefined) delete policy[k];
        args = { host, dataset: section.name, templates: policy.templates, recursive: policy.recursive, processChildrenOnly: policy.processChildrenOnly, settings };
        entry = policy;
      }
      const checked = sanoidPolicyKind.check(Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)));
      if (checked.failures.length) {
        unmanaged.push(`${where}: ${failuresText(checked.failures)}; left as it is`);
        continue;
      }
      if (setSection(sanoid, section.name, entriesOf(args)) !== sanoid) {
        unmanaged.push(`${where}: the resource would write it differently; left as it is`);
        continue;
      }
      if ("name" in entry) templates.push(entry);
      else policies.push(entry);
    }
  }

  // --- syncoid-args.conf
  const pulls: PullEntry[] = [];
  const args = contentOf(facts.syncoidArgs, "syncoid-args.conf", unmanaged);
  if (args !== undefined) {
    const parsed = parseArgs(args);
    const dups = duplicateTargets(parsed);
    for (const d of dups) unmanaged.push(`syncoid-args.conf: ${lines(d.lines)} pull into ${d.target} (the service runs each of them); left as they are`);
    for (const problem of lineProblems(args)) unmanaged.push(`syncoid-args.conf ${problem}; left as it is`);
    const pullKeys = new Keys();
    for (const line of parsed) {
      const text = line.raw.replace(/\r?\n$/, "");
      const where = `syncoid-args.conf line ${line.index + 1}`;
      if (!line.pull) {
        if (text.trim() !== "" && !text.startsWith("#")) unmanaged.push(`${where}: ${shown(text)} is not a pull line (flags, source, target); left as it is`);
        continue;
      }
      const p = line.pull;
      if (dups.some((d) => d.target === p.target)) continue;
      const checked = syncoidPullKind.check({ host, source: p.source, target: p.target, flags: p.flags, enabled: p.enabled });
      if (checked.failures.length) {
        unmanaged.push(`${where}: ${failuresText(checked.failures)}; left as it is`);
        continue;
      }
      if (setPull(args, p) !== args) {
        unmanaged.push(`${where}: the resource would write it differently (${shown(text)}); left as it is`);
        continue;
      }
      const local = parseEndpoint(p.target).host === undefined;
      const target = local ? ref(p.target) : p.target;
      const source = p.source.host === undefined ? { dataset: ref(p.source.dataset) } : { ...p.source };
      pulls.push({ key: pullKeys.take(target), source, target, flags: p.flags, enabled: p.enabled });
    }
  }

  // --- NFS shares (sharenfs set on the dataset)
  const shares: ShareEntry[] = [];
  const shareKeys = new Keys();
  for (const ds of all) {
    const p = ds.properties["sharenfs"];
    if (!p || (p.source !== "local" && p.source !== "received")) continue;
    if (p.source === "received") {
      unmanaged.push(`${ds.name}: sharenfs=${p.value} is received (an NfsShare sets it locally); left as it is`);
      continue;
    }
    const share = parseSharenfs(p.value);
    if (!share) {
      unmanaged.push(`${ds.name}: sharenfs=off is set on it (it stops inheriting its parent's share): no resource manages that; left as it is`);
      continue;
    }
    const wide = share.clients.some((c) => addressProblem(c.address) !== undefined && addressProblem(c.address, true) === undefined);
    const entry: ShareEntry = { key: "", dataset: ref(ds.name), clients: share.clients, options: share.options, allowEveryone: share.everyone || wide };
    const checked = nfsShareKind.check({ host, dataset: ds.name, clients: entry.clients, options: entry.options, allowEveryone: entry.allowEveryone });
    if (checked.failures.length) {
      unmanaged.push(`${ds.name}: sharenfs=${p.value}: ${failuresText(checked.failures)}; left as it is`);
      continue;
    }
    if (shareKey(share) !== shareKey(shareOf({ host, dataset: ds.name, clients: entry.clients, options: entry.options, allowEveryone: entry.allowEveryone }))) {
      unmanaged.push(`${ds.name}: sharenfs=${p.value}: the resource would set it differently; left as it is`);
      continue;
    }
    entry.key = shareKeys.take(entry.dataset);
    shares.push(entry);
  }
  if (shares.length) exportsNotes(facts, all, firstUp);

  return {
    host,
    files: { sanoidConf: facts.sanoidConf.path, syncoidArgs: facts.syncoidArgs.path },
    datasets,
    grants,
    templates,
    policies,
    pulls,
    shares,
    unmanaged,
    firstUp,
  };
}

/** A grantee's grants on one dataset as Delegations: one with scope both when the scopes hold the same, else one per scope. */
function grantEntries(label: string, live: Grants): { who: Who; permissions: string[]; scope: Scope }[] {
  const m = label.match(/^(user|group) (\S+)$/);
  const who: Who | undefined = label === "everyone" ? { everyone: true } : m ? (m[1] === "user" ? { user: m[2] } : { group: m[2] }) : undefined;
  if (!who) return [];
  if (live.local.join(",") === live.descendent.join(",")) return live.local.length ? [{ who, permissions: live.local, scope: "both" }] : [];
  return [
    ...(live.local.length ? [{ who, permissions: live.local, scope: "local" as const }] : []),
    ...(live.descendent.length ? [{ who, permissions: live.descendent, scope: "descendent" as const }] : []),
  ];
}

function contentOf(file: FileRead, label: string, unmanaged: string[]): string | undefined {
  if ("content" in file) return file.content;
  if ("absent" in file) return undefined;
  unmanaged.push(`${label} (${file.path}): ${file.refused}; nothing in it is managed`);
  return undefined;
}

/** A share's create settles the host's exports: when zfs.exports and what ZFS shares disagree, that first up regenerates the file. */
function exportsNotes(facts: HostFacts, all: readonly DatasetFacts[], firstUp: string[]): void {
  const rows: FilesystemRow[] = all
    .filter((d) => d.type === "filesystem")
    .map((d) => ({ name: d.name, mountpoint: d.properties.mountpoint?.value ?? "", sharenfs: d.properties.sharenfs?.value ?? "off", mounted: d.properties.mounted?.value ?? "no" }));
  const file = "content" in facts.exports ? facts.exports.content : "";
  const { stale, missing } = checkExports(parseExportsFile(file), rows);
  if (stale.length || missing.length) {
    const what = [
      stale.length ? `it lists ${[...new Set(stale.map((l) => l.path))].join(", ")}, no longer shared` : "",
      missing.length ? `it misses ${missing.join(", ")}, shared` : "",
    ].filter(Boolean);
    firstUp.push(`${facts.exports.path} disagrees with what ZFS shares (${what.join("; ")}): the first up regenerates it (zfs share -a, exportfs -ra), as every NfsShare does`);
  }
}
