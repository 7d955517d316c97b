// NfsShare's lifecycle: the sharenfs property of one dataset, and the live
// exports kept in step with it. OpenZFS writes /etc/exports.d/zfs.exports and
// runs `exportfs -ra` when sharenfs is set; 2.1 can leave lines for paths
// that are no longer shared (after renames), so after every change the file
// is compared with what ZFS shares and regenerated only when they differ.
// check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { hasUnknown } from "../kind";
import { knownHosts, run, sh } from "../transport";
import { failedWith, zfsFailures } from "../zfs/errors";
import { invalidate } from "../zfs/inventory";
import { type CheckedNfsShareInputs, type NfsShareInputs, type NfsShareOutputs, nfsShareKind } from "./schema";
import { warnNfsClients } from "../hazards";
import {
  type ExportLine,
  type Share,
  checkExports,
  parseExportfs,
  parseExportsFile,
  parseShareList,
  parseSharenfs,
  renderSharenfs,
  shareKey,
} from "./sharenfs";

const EXPORTS_FILE = "/etc/exports.d/zfs.exports";

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return nfsShareKind.check(news, knownHosts());
}

export function shareOf(stored: NfsShareInputs): Share {
  const i = nfsShareKind.complete(stored);
  return { clients: i.clients, options: i.options, everyone: i.clients.length === 0 && i.allowEveryone };
}

export async function diff(_id: string, olds: NfsShareOutputs, news: NfsShareInputs): Promise<pulumi.dynamic.DiffResult> {
  // Drift seen by the last read: the value changed by hand, or stale export lines.
  const drift =
    !hasUnknown(news) && olds.sharenfs !== undefined && (shareKey(parseSharenfs(olds.sharenfs)) !== shareKey(shareOf(news)) || (olds.staleExports ?? []).length > 0);
  return nfsShareKind.diff(olds, news, { changed: drift });
}

interface Live {
  guid: string;
  sharenfs: string;
  source: string;
  mountpoint: string;
}

async function inspect(host: string, dataset: string): Promise<Live> {
  const r = await run(host, sh`zfs get -Hp -o property,value,source guid,sharenfs,mountpoint ${dataset}`, { idempotent: true });
  const props: Record<string, [string, string]> = {};
  for (const line of r.stdout.split("\n").filter(Boolean)) {
    const [p, v, s] = line.split("\t");
    props[p] = [v, s];
  }
  return { guid: props.guid?.[0] ?? "", sharenfs: props.sharenfs?.[0] ?? "off", source: props.sharenfs?.[1] ?? "-", mountpoint: props.mountpoint?.[0] ?? "" };
}

const SEPARATOR = "--zfs-fleet--";

/** zfs.exports, what ZFS shares, and what the server exports, in one round trip. */
async function exportsState(host: string): Promise<{ file: ExportLine[]; stale: ExportLine[]; missing: string[]; served: ExportLine[] }> {
  const r = await run(
    host,
    sh`cat ${EXPORTS_FILE} 2>/dev/null; echo ${SEPARATOR}; zfs list -H -o name,mountpoint,sharenfs,mounted -t filesystem; echo ${SEPARATOR}; exportfs -v`,
    { idempotent: true },
  );
  const [file, list, served] = r.stdout.split(`${SEPARATOR}\n`);
  const lines = parseExportsFile(file ?? "");
  const { stale, missing } = checkExports(lines, parseShareList(list ?? ""));
  return { file: lines, stale, missing, served: parseExportfs(served ?? "") };
}

/** Children of `dataset` whose sharenfs is inherited from it. */
async function inheritors(host: string, dataset: string): Promise<string[]> {
  const r = await run(host, sh`zfs get -H -o name,source -t filesystem -r sharenfs ${dataset}`, { idempotent: true });
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split("\t"))
    .filter(([n, s]) => n !== dataset && s === `inherited from ${dataset}`)
    .map(([n]) => n);
}

/**
 * Makes zfs.exports match what ZFS shares (the operators' fix: remove the
 * file, `zfs share -a`), reloading the server only when they differ.
 */
async function settleExports(host: string): Promise<{ served: ExportLine[]; regenerated: boolean }> {
  const state = await exportsState(host);
  if (state.stale.length === 0 && state.missing.length === 0) return { served: state.served, regenerated: false };
  await regenerateExports(host);
  const after = await exportsState(host);
  if (after.stale.length > 0) {
    throw new Error(`${host}: ${EXPORTS_FILE} still lists ${after.stale.map((l) => l.path).join(", ")} after regenerating it`);
  }
  return { served: after.served, regenerated: true };
}

/**
 * `zfs share -a` walks every dataset of the host; a dataset being renamed at
 * that moment (another resource of the same `up`) makes it fail with "cannot
 * mount ... No such file or directory". That is transient: try again a few times.
 */
async function regenerateExports(host: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run(host, sh`rm -f ${EXPORTS_FILE} && zfs share -a && exportfs -ra`, { timeoutMs: 300_000 });
      return;
    } catch (err) {
      const transient = zfsFailures(err).some((f) => (f.kind === "missing" || f.kind === "busy") && /cannot (mount|share) /.test(f.line));
      if (!transient || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 3_000 * attempt));
    }
  }
}

async function outputsOf(inputs: NfsShareInputs, served?: ExportLine[]): Promise<NfsShareOutputs> {
  const live = await inspect(inputs.host, inputs.dataset);
  const state = served ? undefined : await exportsState(inputs.host);
  const exports = (served ?? state!.served).filter((l) => l.path === live.mountpoint);
  return {
    ...inputs,
    datasetGuid: live.guid,
    sharenfs: live.source === "local" || live.source === "received" ? live.sharenfs : "off",
    mountpoint: live.mountpoint,
    exports,
    inheritedBy: await inheritors(inputs.host, inputs.dataset),
    staleExports: state ? [...new Set(state.stale.map((l) => l.path))] : [],
  };
}

async function converge(inputs: CheckedNfsShareInputs): Promise<NfsShareOutputs> {
  const { host, dataset } = inputs;
  const want = shareOf(inputs);
  const live = await inspect(host, dataset);
  const set = live.source !== "local" || shareKey(parseSharenfs(live.sharenfs)) !== shareKey(want);
  if (set) await run(host, sh`zfs set ${`sharenfs=${renderSharenfs(want)}`} ${dataset}`, { timeoutMs: 300_000 }).finally(() => invalidate(host));
  const { served } = await settleExports(host);
  return outputsOf(inputs, served);
}

export async function create(inputs: CheckedNfsShareInputs): Promise<pulumi.dynamic.CreateResult> {
  const outs = await converge(inputs);
  return { id: `${inputs.host}:${outs.datasetGuid}`, outs };
}

export async function read(id: string, props: NfsShareOutputs): Promise<pulumi.dynamic.ReadResult> {
  try {
    return { id, props: await outputsOf(props) };
  } catch (err) {
    if (failedWith(err, "missing")) return { id: "", props: {} };
    throw err;
  }
}

export async function update(_id: string, olds: NfsShareOutputs, news: CheckedNfsShareInputs): Promise<pulumi.dynamic.UpdateResult> {
  if (olds.dataset !== news.dataset) {
    const moved = await inspect(news.host, news.dataset);
    if (moved.guid !== olds.datasetGuid) await stopSharing(olds.host, olds.dataset, olds.datasetGuid); // another dataset, not a rename
  }
  return { outs: await converge(news) };
}

async function stopSharing(host: string, dataset: string, guid: string): Promise<void> {
  let live: Live;
  try {
    live = await inspect(host, dataset);
  } catch (err) {
    if (failedWith(err, "missing")) return;
    throw err;
  }
  if (live.guid !== guid) return;
  await warnNfsClients(host, dataset, `stop sharing ${dataset}`);
  // Inherit when the parent does not share (a clean state); otherwise say off explicitly.
  const parent = dataset.includes("/") ? dataset.slice(0, dataset.lastIndexOf("/")) : undefined;
  const parentShares = parent ? (await inspect(host, parent)).sharenfs !== "off" : false;
  // What Datasets of this run know of the pool (zfs/inventory.ts) is forgotten after it, as after a set of their own.
  const command = parentShares ? sh`zfs set sharenfs=off ${dataset}` : sh`zfs inherit sharenfs ${dataset}`;
  await run(host, command, { timeoutMs: 300_000 }).finally(() => invalidate(host));
}

/** Stops the share: sharenfs off (inherited when the parent does not share) and exports settled. */
export async function remove(_id: string, props: NfsShareOutputs): Promise<void> {
  await stopSharing(props.host, props.dataset, props.datasetGuid);
  await settleExports(props.host);
}
