// The hazard scan against a host (scan.ts, analyse.ts): what a move or a
// removal of a dataset would break there, and the guard a Dataset's update
// and delete go through right before they act.
//
//   await guard(host, "zfs-hdd/off/products", "rename to zfs-hdd/off/products-old", { acknowledge, waitSeconds })
//   (await hazardsForRead(host, name)).map((h) => h.message)     // read(): one scan per host and process
//   readScan(host)                                               // read(): begins that scan, beside the pool read
//
// guard: replication in flight (zfs send/receive, syncoid, a sender's open
// ssh session) is waited for, rescanning every 5 s, up to `waitSeconds`; then
// it fails naming the process, having done nothing. Bind mounts in other
// namespaces and configured containers fail unless acknowledged (each named,
// with what to do). NFS clients and acknowledged hazards are warnings.
import { run } from "../transport";
import { type Hazard, acknowledged, hazardsOf, parseScan, type Scan } from "./analyse";
import { scanCommand } from "./scan";

export { type Hazard, type HazardKind, ACKNOWLEDGEABLE } from "./analyse";

/** One scan of a host; `datasets` get their `zfs allow` read too (who may send them). */
export async function scanHost(host: string, datasets: readonly string[] = []): Promise<Scan> {
  const r = await run(host, scanCommand(datasets), { idempotent: true, timeoutMs: 120_000 });
  const scan = parseScan(r.stdout);
  if (!scan.complete) throw new Error(`${host}: the hazard scan's output ended early (${r.stdout.length} bytes); nothing was done`);
  return scan;
}

// read(): one scan per host for the whole provider process (a refresh reads every Dataset at once).
const CACHE_KEY = Symbol.for("zfs-fleet.hazards");
const cache: Map<string, Promise<Scan>> = ((globalThis as Record<symbol, unknown>)[CACHE_KEY] as Map<string, Promise<Scan>>) ??
  ((globalThis as Record<symbol, unknown>)[CACHE_KEY] = new Map<string, Promise<Scan>>());

/**
 * What a move or removal of `dataset` would meet, for read() to record: from
 * one scan per host and provider process (without `zfs allow`, so a
 * sender's idle ssh session is not told here; guard tells it).
 */
export async function hazardsForRead(host: string, dataset: string): Promise<Hazard[]> {
  return hazardsOf(await readScan(host), dataset);
}

/**
 * The scan read() uses: one per host and provider process, begun by the
 * first read that asks. read() asks before its pool read, so the two
 * read-only commands run side by side on the host's one connection and a
 * refresh waits for the longer of them, not for both.
 */
export function readScan(host: string): Promise<Scan> {
  let scan = cache.get(host);
  if (!scan) {
    cache.set(host, (scan = scanHost(host)));
    scan.catch(() => cache.get(host) === scan && cache.delete(host));
  }
  return scan;
}

/**
 * A fresh scan for a guard: the guards of one host that start within 100 ms
 * of each other (sibling datasets the engine moves side by side) share one
 * scan, with `zfs allow` for each of their datasets. Never a cached one.
 */
const waiting = new Map<string, { datasets: Set<string>; scan: Promise<Scan> }>();
function freshScan(host: string, dataset: string): Promise<Scan> {
  let batch = waiting.get(host);
  if (!batch) {
    const datasets = new Set<string>();
    const scan = new Promise((r) => setTimeout(r, 100)).then(() => {
      waiting.delete(host);
      return scanHost(host, [...datasets]);
    });
    waiting.set(host, (batch = { datasets, scan }));
  }
  batch.datasets.add(dataset);
  return batch.scan;
}

export interface GuardOptions {
  /** The program's acknowledgeHazards. */
  acknowledge: readonly string[];
  /** How long replication in flight is waited for. */
  waitSeconds: number;
  /** Between two scans while waiting (tests shorten it). */
  pollMs?: number;
}

/** Says a warning where the engine shows it (the dynamic provider's stderr). */
const warn = (message: string) => console.error(`warning: ${message}`);

/**
 * Checks the host right before `action` on `dataset`: waits for replication,
 * refuses unacknowledged holders, warns about the rest. Throws with every
 * reason at once; nothing on the host is changed by it.
 */
export async function guard(host: string, dataset: string, action: string, options: GuardOptions): Promise<Hazard[]> {
  const started = Date.now();
  const deadline = started + options.waitSeconds * 1000;
  let hazards: Hazard[];
  for (;;) {
    hazards = hazardsOf(await freshScan(host, dataset), dataset);
    const replication = hazards.filter((h) => h.kind === "replication");
    if (replication.length === 0) break;
    if (Date.now() >= deadline) {
      const waited = Math.round((Date.now() - started) / 1000);
      throw new Error(
        `${host}: did not ${action}: replication of ${dataset} is still in flight after ${waited} s ` +
          `(waitForReplicationSeconds: ${options.waitSeconds}); nothing was changed:\n  ${replication.map((h) => h.message).join("\n  ")}\n` +
          `Run up again once it has finished, pause the pull, or raise waitForReplicationSeconds.`,
      );
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 5_000));
  }
  const holders = hazards.filter((h) => h.kind === "bindMount" || h.kind === "configuredContainer");
  const refused = holders.filter((h) => !acknowledged(h, options.acknowledge));
  if (refused.length > 0) {
    throw new Error(
      `${host}: refused to ${action}: ${refused.length === 1 ? "a container or process holds it" : `${refused.length} mounts of containers or processes hold it`}; nothing was changed:\n  ` +
        refused.map((h) => h.message).join("\n  "),
    );
  }
  for (const h of holders) warn(`${host}: ${action}: acknowledged (acknowledgeHazards): ${h.message}`);
  for (const h of hazards.filter((x) => x.kind === "nfsClient")) warn(`${host}: ${action}: ${h.message}`);
  return hazards;
}

/**
 * Before a share stops (NfsShare removed, or its dataset changed): warns
 * naming the NFS clients that have it mounted or files of it open. Never
 * refuses; a failed scan is said and the share stops anyway.
 */
export async function warnNfsClients(host: string, dataset: string, action: string): Promise<void> {
  try {
    for (const h of hazardsOf(await scanHost(host), dataset).filter((x) => x.kind === "nfsClient")) warn(`${host}: ${action}: ${h.message}`);
  } catch (err) {
    warn(`${host}: ${action}: the hazard scan failed, so its NFS clients are not known: ${(err as Error).message}`);
  }
}
