// What a pool holds, from one `zfs get -Hp ... all -r <pool>` per pool: every
// managed dataset of that pool is answered from the same query, and the
// answer is shared by all the resources of a run until something on that
// host is written; after a write, only what it changed is read again. Beside
// it, zfs errors recognised once (errors.ts).
import { run, sh } from "../transport";

export interface PropertyValue {
  value: string;
  /** local, default, inherited from X, received, temporary, - */
  source: string;
}

export interface DatasetFacts {
  name: string;
  guid: string;
  type: string;
  properties: Record<string, PropertyValue>;
}

export interface PoolFacts {
  byName: Map<string, DatasetFacts>;
  byGuid: Map<string, DatasetFacts>;
}

/** The same datasets by guid (a dataset without one, from a line cut short, is left out). */
function byGuidOf(byName: Map<string, DatasetFacts>): Map<string, DatasetFacts> {
  const byGuid = new Map<string, DatasetFacts>();
  for (const ds of byName.values()) if (ds.guid) byGuid.set(ds.guid, ds);
  return byGuid;
}

/**
 * Parses `zfs get -Hp -o name,property,value,source` output: one line per
 * dataset and property, tab separated. A user property's value may itself
 * hold tabs (set by hand), so the value is everything between the second
 * field and the last; a line broken by a newline inside such a value is
 * skipped rather than failing the whole pool.
 */
export function parseZfsGet(output: string): PoolFacts {
  const byName = new Map<string, DatasetFacts>();
  for (const line of output.split("\n")) {
    const fields = line.split("\t");
    if (fields.length < 4) continue;
    const name = fields[0];
    const property = fields[1];
    const source = fields[fields.length - 1];
    const value = fields.slice(2, -1).join("\t");
    let ds = byName.get(name);
    if (!ds) byName.set(name, (ds = { name, guid: "", type: "", properties: {} }));
    if (property === "guid") ds.guid = value;
    else if (property === "type") ds.type = value;
    ds.properties[property] = { value, source };
  }
  return { byName, byGuid: byGuidOf(byName) };
}

/**
 * The query for one pool, or for one subtree of it after a write there:
 * filesystems and volumes only (snapshots keep their own guids).
 */
export const poolQuery = (root: string) => sh`zfs get -Hp -o name,property,value,source -t filesystem,volume -r all ${root}`;

/** True when `name` is `root` or below it. */
const within = (name: string, root: string): boolean => name === root || name.startsWith(`${root}/`);

/**
 * A pool's facts after a write, from what was known before it: the datasets
 * in or below `gone` and `reread` are dropped, and what was read again of
 * each `reread` subtree takes their place. Nothing outside those subtrees
 * can change by a rename, create, destroy, set or inherit there but what the
 * provider never reads: space accounting (used, available) and the origin
 * of a clone elsewhere whose snapshot moved.
 */
export function patchFacts(base: PoolFacts, gone: readonly string[], reread: readonly PoolFacts[], rereadRoots: readonly string[]): PoolFacts {
  const dropped = [...gone, ...rereadRoots];
  const byName = new Map<string, DatasetFacts>();
  for (const [name, ds] of base.byName) if (!dropped.some((root) => within(name, root))) byName.set(name, ds);
  for (const part of reread) for (const [name, ds] of part.byName) byName.set(name, ds);
  return { byName, byGuid: byGuidOf(byName) };
}

interface Cache {
  pools: Map<string, Promise<PoolFacts>>;
  /** The same answers once they arrived, for callers that must not query (check, diff). */
  settled: Map<string, PoolFacts>;
  /** Counts every write begun and every invalidation: a write alone from start to end sees it move by one. */
  epoch: number;
  /** Writes running now on the host. */
  writing: number;
}
const CACHE_KEY = Symbol.for("zfs-fleet.inventory");
const cache: Map<string, Cache> = ((globalThis as Record<symbol, unknown>)[CACHE_KEY] as Map<string, Cache>) ??
  ((globalThis as Record<symbol, unknown>)[CACHE_KEY] = new Map<string, Cache>());

function hostCache(host: string): Cache {
  let c = cache.get(host);
  if (!c) cache.set(host, (c = { pools: new Map(), settled: new Map(), epoch: 0, writing: 0 }));
  // A cache made by an older copy of this module in the same process.
  c.settled ??= new Map();
  c.epoch ??= 0;
  c.writing ??= 0;
  return c;
}

/** Reads `root` (a pool, or a subtree of one) with one command. */
const query = (host: string, root: string): Promise<PoolFacts> =>
  run(host, poolQuery(root), { idempotent: true, timeoutMs: 300_000 }).then((r) => parseZfsGet(r.stdout));

/** Makes `facts` the pool's answer, and its settled answer once it arrived, unless replaced meanwhile. */
function install(c: Cache, pool: string, facts: Promise<PoolFacts>): Promise<PoolFacts> {
  c.pools.set(pool, facts);
  c.settled.delete(pool);
  facts.then(
    (f) => c.pools.get(pool) === facts && c.settled.set(pool, f), // not when invalidated meanwhile
    () => c.pools.get(pool) === facts && c.pools.delete(pool),
  );
  return facts;
}

/** The facts of one pool, queried at most once until the host is written to. */
export function poolFacts(host: string, pool: string): Promise<PoolFacts> {
  const c = hostCache(host);
  return c.pools.get(pool) ?? install(c, pool, query(host, pool));
}

/** What a write changes in its pool: subtrees gone, and subtrees to read again (their old content is dropped too). */
export interface Change {
  gone: string[];
  reread: string[];
}

/**
 * Runs `act`, a write on `pool` of `host`, and brings what is known of the
 * pool up to date after it. When the pool had been read and this write ran
 * alone on the host from start to end (no other write, no invalidation), only
 * the subtrees `change` names are read again: after a rename, the renamed
 * dataset and what it holds, not the pool (at 1000 datasets a full read takes
 * about 10 s under the lab's emulation). Otherwise, or when the write failed,
 * everything known of the host is forgotten and read again when asked, as
 * before a write.
 */
export async function write<T>(host: string, pool: string, act: () => Promise<T>, change: (before: PoolFacts) => Change): Promise<T> {
  const c = hostCache(host);
  const before = c.writing === 0 ? c.settled.get(pool) : undefined;
  const epoch = ++c.epoch;
  c.writing++;
  let result: T;
  try {
    result = await act();
  } catch (err) {
    invalidate(host);
    throw err;
  } finally {
    c.writing--;
  }
  if (!before || c.epoch !== epoch) {
    invalidate(host);
    return result;
  }
  const { gone, reread } = change(before);
  const patched = Promise.all(reread.map((root) => query(host, root))).then(
    (parts) => patchFacts(before, gone, parts, reread),
    () => query(host, pool), // a subtree could not be read: the whole pool, as before
  );
  install(c, pool, patched);
  return result;
}

/** The dataset with `guid` in its pool, wherever it is now: renamed by hand, or moved with a parent. */
export async function findByGuid(host: string, pool: string, guid: string): Promise<DatasetFacts | undefined> {
  return (await poolFacts(host, pool)).byGuid.get(guid);
}

/**
 * What this process last read of a pool, if it read it at all: no remote
 * call (check and diff may look, a plain preview has read nothing).
 */
export function knownFacts(host: string, pool: string): PoolFacts | undefined {
  return cache.get(host)?.settled?.get(pool);
}

/** Forgets what was read on a host: call after any change made there that `write` did not make. */
export function invalidate(host: string): void {
  const c = hostCache(host);
  c.epoch++;
  c.pools.clear();
  c.settled.clear();
}
