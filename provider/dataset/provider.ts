// The Dataset's lifecycle. The id is the dataset's guid, which ZFS keeps for
// the dataset's whole life, renames included: a new name in the same pool is
// an update (`zfs rename`), never a replacement. check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { settings } from "../config";
import { hasUnknown, isUnknown } from "../kind";
import { poolOf } from "../names";
import { guard, hazardsForRead, readScan } from "../hazards";
import { RemoteCommandError, knownHosts, run, sh } from "../transport";
import { failedWith } from "../zfs/errors";
import { type DatasetFacts, type PoolFacts, findByGuid, invalidate, knownFacts, poolFacts, write } from "../zfs/inventory";
import { inheritedShare, spreadWarning } from "../hazards/shares";
import { sameValue } from "./properties";
import { type CheckedDatasetInputs, type DatasetInputs, type DatasetOutputs, datasetKind } from "./schema";

/** How long a rename waits for its target name to be freed by another rename (a swap): ZFSFLEET_SWAP_WAIT_MS. */
const swapWaitMs = () => settings().swapWaitMs;

export async function check(olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  const result = datasetKind.check(news, knownHosts());
  // A new dataset (no old inputs) under a shared parent: said when this process already read the pool (preview --refresh).
  const { host, name } = result.inputs as { host?: unknown; name?: unknown };
  const isNew = !(olds as Record<string, unknown> | undefined)?.["name"];
  if (result.failures.length === 0 && isNew && typeof host === "string" && typeof name === "string" && !hasUnknown([host, name])) {
    const facts = knownFacts(host, poolOf(name));
    const share = facts && !facts.byName.has(name) ? inheritedShare(facts, name) : undefined;
    if (share) console.error(`warning: ${spreadWarning(host, name, share, "will be")}`);
  }
  return result;
}

export async function diff(_id: string, olds: DatasetOutputs, news: DatasetInputs): Promise<pulumi.dynamic.DiffResult> {
  // Another pool is a new dataset; an unknown name (preview) is neither that nor a rename error yet.
  const otherPool = !isUnknown(news.name) && poolOf(olds.name) !== poolOf(news.name);
  const result = datasetKind.diff(olds, news, { replaces: otherPool ? ["name"] : [] });
  if (olds.name !== news.name && !isUnknown(news.name) && result.replaces.length === 0 && news.name.startsWith(`${olds.name}/`)) {
    throw new Error(
      `Dataset ${olds.name}: cannot move it to ${news.name}, inside itself (ZFS refuses to rename a dataset under its own ` +
        `descendant). Move it to a temporary name first, or create the new parent as its own Dataset.`,
    );
  }
  if (result.replaces.length > 0 && !hasUnknown([news.host, news.name])) guardReplacement(olds, news, result.replaces);
  if (olds.name !== news.name && !isUnknown(news.name)) {
    for (const h of olds.hazards ?? []) console.error(`warning: Dataset ${olds.host}:${olds.name} -> ${news.name}: the last read found: ${h}`);
    const facts = knownFacts(olds.host, poolOf(news.name));
    const share = facts ? inheritedShare(facts, news.name) : undefined;
    if (share && share.from !== (facts!.byName.get(olds.name)?.properties["sharenfs"]?.source ?? "").replace(/^inherited from /, "")) {
      console.error(`warning: ${spreadWarning(olds.host, news.name, share, "will be")}`);
    }
    const acks = isUnknown(news.acknowledgeHazards) ? [] : (news.acknowledgeHazards ?? []);
    if (acks.length > 0) console.error(`warning: Dataset ${olds.host}:${olds.name} -> ${news.name}: acknowledged hazards: ${acks.join(", ")}`);
  }
  return result;
}

/**
 * ZFS cannot move a dataset to another pool or host: that is a new, empty
 * dataset, and the old one then goes through its (old) deletion policy. With
 * `destroy` that loses the data with no copy anywhere, so preview refuses;
 * otherwise the old dataset stays and the preview's diagnostics say so.
 */
function guardReplacement(olds: DatasetOutputs, news: DatasetInputs, replaces: string[]): void {
  const where = replaces.includes("host") ? `host ${olds.host} to host ${news.host}` : `pool ${poolOf(olds.name)} to pool ${poolOf(news.name)}`;
  const what = `Dataset ${olds.host}:${olds.name} -> ${news.host}:${news.name}: moving from ${where} is not a rename ZFS can do`;
  const policy = datasetKind.complete(olds).onDelete;
  if (policy === "destroy") {
    throw new Error(
      `${what}; it would create an empty ${news.name} and then destroy ${olds.name} (its onDelete is "destroy"), data and all. ` +
        `Copy the data first (syncoid or zfs send), or set onDelete to "retain" or "renameAside" and run up before moving it.`,
    );
  }
  const kept = policy === "renameAside" ? `renamed aside to ${olds.name}-removed-<date>` : "left in place with its data (onDelete: retain)";
  console.error(`warning: ${what}: ${news.host}:${news.name} is created empty and ${olds.host}:${olds.name} is ${kept}; copy the data yourself (syncoid or zfs send).`);
}

/** What the state records of the dataset: the inputs, with the name and managed properties as the host has them. */
export function outputsOf(inputs: DatasetInputs, facts: DatasetFacts, adoptedDifferences: string[] = []) {
  const managed = Object.keys(inputs.properties ?? {});
  const properties: Record<string, string> = {};
  const effective: Record<string, { value: string; source: string }> = {};
  for (const key of managed) {
    const p = facts.properties[key];
    if (!p) continue;
    effective[key] = { value: p.value, source: p.source };
    // Managed means set on the dataset itself: an inherited value is drift.
    // The program's spelling is kept when it means the host's value (10G for
    // 10737418240), so an unchanged program previews as unchanged.
    if (p.source === "local" || p.source === "received") {
      const wanted = inputs.properties?.[key];
      properties[key] = wanted !== undefined && sameValue(key, wanted, p.value) ? wanted : p.value;
    }
  }
  return {
    ...inputs,
    name: facts.name,
    properties,
    guid: facts.guid,
    pool: poolOf(facts.name),
    mountpoint: facts.properties["mountpoint"]?.value ?? "",
    effective,
    adoptedDifferences,
    hazards: [],
  } satisfies DatasetOutputs;
}

/** True when the host does not have `key` set to `wanted` on the dataset itself. */
function differs(facts: DatasetFacts, key: string, wanted: string): boolean {
  const p = facts.properties[key];
  return !p || !sameValue(key, wanted, p.value) || (p.source !== "local" && p.source !== "received");
}

export async function create(inputs: CheckedDatasetInputs): Promise<pulumi.dynamic.CreateResult> {
  const { host, name } = inputs;
  const pool = poolOf(name);
  let facts = await poolFacts(host, pool);
  const existing = facts.byName.get(name);
  if (existing) {
    if (!inputs.adopt) {
      throw new Error(
        `${host}: dataset ${name} already exists (guid ${existing.guid}). Set adopt: true to take it over as it is ` +
          `(the import option does not work for dynamic providers); if another Dataset renames it away in this update, ` +
          `give this one dependsOn that Dataset.`,
      );
    }
    const differences = Object.entries(inputs.properties)
      .filter(([k, v]) => differs(existing, k, v))
      .map(([k, v]) => `${k}: host has ${existing.properties[k]?.value ?? "(unset)"} (${existing.properties[k]?.source ?? "-"}), program wants ${v}`);
    return { id: existing.guid, outs: outputsOf(inputs, existing, differences) };
  }
  if (!inputs.createParents) {
    // The parent may be another Dataset of this update, created or moved in
    // parallel when the program did not order them.
    facts = await waitFor(host, pool, (f) => (f.byName.has(parentOf(name)) ? true : undefined), () =>
      new Error(`${host}: cannot create ${name}: its parent ${parentOf(name)} does not exist. Create the parent first (a Dataset this one dependsOn) or set createParents: true.`),
    ).then(() => poolFacts(host, pool));
  }
  const props = Object.entries(inputs.properties).flatMap(([k, v]) => ["-o", `${k}=${v}`]);
  const parents = inputs.createParents ? ["-p"] : [];
  try {
    // Read again after it: the dataset, or with -p the first parent that was missing, and what it holds.
    await write(host, pool, () => run(host, sh`zfs create ${parents} ${props} ${name}`), (before) => ({ gone: [], reread: [topmostNew(before, name)] }));
  } catch (err) {
    throw explain(err, name);
  }
  const after = await poolFacts(host, pool);
  const created = after.byName.get(name);
  if (!created) throw new Error(`${host}: zfs create ${name} succeeded but the dataset is not listed`);
  warnIfShared(host, after, name);
  return { id: created.guid, outs: outputsOf(inputs, created) };
}

export async function read(id: string, props: DatasetOutputs): Promise<pulumi.dynamic.ReadResult> {
  void readScan(props.host); // begun now, it runs beside the pool read (its failure is told below, per dataset)
  const facts = await findByGuid(props.host, props.pool ?? poolOf(props.name), id);
  if (!facts) return { id: "", props: {} }; // gone: refresh drops it from the state
  // What a move or removal would meet, for the next diff and the review to show (one scan per host).
  const hazards = await hazardsForRead(props.host, facts.name).then(
    (found) => found.map((h) => h.message),
    (err: Error) => [`the hazard scan failed, so nothing is known of holders or replication: ${err.message}`],
  );
  return { id, props: { ...outputsOf(props, facts, props.adoptedDifferences ?? []), hazards } };
}

export async function update(id: string, olds: DatasetOutputs, news: CheckedDatasetInputs): Promise<pulumi.dynamic.UpdateResult> {
  const { host } = news;
  const pool = poolOf(news.name);
  let current = await findByGuid(host, pool, id);
  if (!current) {
    throw new Error(`${host}: dataset ${olds.name} (guid ${id}) is not in pool ${pool} any more; run pulumi refresh`);
  }
  if (current.name !== news.name) {
    const before = current.properties["sharenfs"];
    await renameTo(host, id, news);
    current = await findByGuid(host, pool, id);
    if (!current) throw new Error(`${host}: dataset guid ${id} vanished during its rename to ${news.name}`);
    const now = current.properties["sharenfs"];
    if (now && (now.value !== before?.value || now.source !== before?.source)) warnIfShared(host, await poolFacts(host, pool), current.name);
  }
  const set = Object.entries(news.properties).filter(([k, v]) => differs(current!, k, v));
  const removed = Object.keys(olds.properties ?? {}).filter((k) => !(k in news.properties));
  if (set.length + removed.length > 0) {
    const target = current.name;
    // What a set or inherit changes: the dataset and what inherits from it below.
    await write(host, pool, async () => {
      if (set.length > 0) await run(host, sh`zfs set ${set.map(([k, v]) => `${k}=${v}`)} ${target}`);
      for (const key of removed) await run(host, sh`zfs inherit ${key} ${target}`);
    }, () => ({ gone: [], reread: [target] }));
  }
  const after = await findByGuid(host, pool, id);
  if (!after) throw new Error(`${host}: dataset guid ${id} vanished while its properties were set`);
  return { outs: outputsOf(news, after) };
}

const parentOf = (name: string): string => name.slice(0, name.lastIndexOf("/"));

/** `name`, or its highest ancestor missing from `before`: what a create or rename with -p makes. */
function topmostNew(before: PoolFacts, name: string): string {
  let top = name;
  while (top.includes("/") && !before.byName.has(parentOf(top))) top = parentOf(top);
  return top;
}

/** Says so when `name` is now exported because a parent shares it (it inherits sharenfs). */
function warnIfShared(host: string, facts: PoolFacts, name: string): void {
  const own = facts.byName.get(name)?.properties["sharenfs"];
  if (!own || !own.source.startsWith("inherited")) return;
  const share = inheritedShare(facts, name);
  if (share) console.error(`warning: ${spreadWarning(host, name, share, "is now")}`);
}

/**
 * Polls the pool (re-read every 2 s) until `ready` answers, or fails with
 * `timeout()` after ZFSFLEET_SWAP_WAIT_MS. For steps of one update the engine may run
 * in either order: a rename into a name another rename frees, into a parent
 * another Dataset creates or moves.
 */
async function waitFor<T>(host: string, pool: string, ready: (f: PoolFacts) => T | undefined, timeout: (f: PoolFacts) => Error): Promise<T> {
  const deadline = Date.now() + swapWaitMs();
  for (;;) {
    const facts = await poolFacts(host, pool);
    const answer = ready(facts);
    if (answer !== undefined) return answer;
    if (Date.now() >= deadline) throw timeout(facts);
    await new Promise((r) => setTimeout(r, 2_000));
    invalidate(host);
  }
}

/**
 * Renames the dataset with guid `guid` to `news.name`, found by guid each
 * time: it may have moved with its parent meanwhile (then it is already in
 * place), and the name it goes to may still be held by a dataset that another
 * resource is renaming away (a swap), or its new parent may not exist yet.
 */
async function renameTo(host: string, guid: string, news: CheckedDatasetInputs): Promise<void> {
  const pool = poolOf(news.name);
  const parent = parentOf(news.name);
  const from = await waitFor(
    host,
    pool,
    (f): string | null | undefined => {
      const self = f.byGuid.get(guid);
      if (!self) throw new Error(`${host}: dataset guid ${guid} is not in pool ${pool} any more; run pulumi refresh`);
      if (self.name === news.name) return null; // moved there with its parent
      if (f.byName.has(news.name)) return undefined; // a swap: wait for the other rename
      if (!news.createParents && !f.byName.has(parent)) return undefined; // the parent is still to come
      return self.name;
    },
    (f) => {
      const self = f.byGuid.get(guid);
      const occupant = f.byName.get(news.name);
      if (occupant) {
        return new Error(
          `${host}: cannot rename ${self?.name} to ${news.name}: another dataset (guid ${occupant.guid}) still holds that name ` +
            `after ${swapWaitMs() / 1000} s. If the program renames it away in the same update (a swap), ` +
            `that rename must not wait for this one: give this Dataset dependsOn the Dataset that moves ${news.name} away.`,
        );
      }
      return new Error(
        `${host}: cannot rename ${self?.name} to ${news.name}: its new parent ${parent} does not exist after ${swapWaitMs() / 1000} s. ` +
          `Create it as a Dataset this one dependsOn, or set createParents: true.`,
      );
    },
  );
  if (from === null) return;
  // Right before it acts: replication in flight is waited for, holders in other namespaces refused (hazards/).
  await guard(host, from, `rename ${from} to ${news.name}`, { acknowledge: news.acknowledgeHazards, waitSeconds: news.waitForReplicationSeconds });
  const parents = news.createParents ? ["-p"] : [];
  try {
    // Read again after it: the dataset at its new name and what moved with it (with -p, the parents made for it).
    await write(host, pool, () => run(host, sh`zfs rename ${parents} ${from} ${news.name}`), (before) => ({
      gone: [from],
      reread: [news.createParents ? topmostNew(before, news.name) : news.name],
    }));
  } catch (err) {
    throw explain(err, from, news.name);
  }
}

/** Adds what an operator needs to know to ZFS's terse errors. */
function explain(err: unknown, name: string, to?: string): Error {
  if (!(err instanceof RemoteCommandError)) return err as Error;
  const what = to ? `rename ${name} to ${to}` : `create ${name}`;
  if (failedWith(err, "busy")) {
    return new Error(
      `${err.host}: cannot ${what}: the dataset is busy. Something holds it or a child mounted: usually an NFS export ` +
        `in use (exportfs -v; clients still mounted), a container bind mount (Proxmox mp entries, docker volumes), or a ` +
        `process with its working directory or open files inside (fuser -vm <mountpoint>). ZFS said: ${err.stderr.trim()}`,
    );
  }
  if (failedWith(err, "parentMissing")) {
    return new Error(`${err.host}: cannot ${what}: its parent does not exist. Create the parent first (a Dataset it dependsOn) or set createParents: true.`);
  }
  if (failedWith(err, "exists")) {
    // The pool was read just before: the name was taken in between, outside this update.
    return new Error(`${err.host}: cannot ${what}: another dataset took that name meanwhile; run pulumi refresh. ZFS said: ${err.stderr.trim()}`);
  }
  return err;
}

export async function remove(id: string, stored: DatasetOutputs): Promise<void> {
  const props = datasetKind.complete(stored);
  const { host } = props;
  if (props.onDelete === "retain") return; // the data stays; the program no longer manages it
  const current = await findByGuid(host, props.pool ?? poolOf(props.name), id);
  if (!current) return;
  const action = props.onDelete === "renameAside" ? `rename ${current.name} aside` : `destroy ${current.name}`;
  await guard(host, current.name, action, { acknowledge: props.acknowledgeHazards, waitSeconds: props.waitForReplicationSeconds });
  const pool = poolOf(current.name);
  try {
    if (props.onDelete === "renameAside") {
      const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
      const facts = await poolFacts(host, pool);
      let aside = `${current.name}-removed-${day}`;
      for (let n = 2; facts.byName.has(aside); n++) aside = `${current.name}-removed-${day}-${n}`;
      await write(host, pool, () => run(host, sh`zfs rename ${current.name} ${aside}`), () => ({ gone: [current.name], reread: [aside] }));
    } else {
      // Never -R: clones elsewhere are not this resource's to take.
      const recursive = props.destroyRecursive ? ["-r"] : [];
      await write(host, pool, () => run(host, sh`zfs destroy ${recursive} ${current.name}`), () => ({ gone: [current.name], reread: [] }));
    }
  } catch (err) {
    if (err instanceof RemoteCommandError && failedWith(err, "hasChildren")) {
      throw new Error(
        `${host}: ${current.name} has children or snapshots and was not destroyed; set destroyRecursive: true to take them ` +
          `too (clones elsewhere are never destroyed). ZFS said: ${err.stderr.trim()}`,
      );
    }
    throw explain(err, current.name);
  }
}
