// What a pool holds, from one `zfs get -Hp ... all -r <pool>` per pool: every
// managed dataset of that pool is answered from the same query, and the
// answer is shared by all the resources of a run until something on that
// host is written. Beside it, zfs errors recognised once (errors.ts).
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
  const byGuid = new Map<string, DatasetFacts>();
  for (const ds of byName.values()) if (ds.guid) byGuid.set(ds.guid, ds);
  return { byName, byGuid };
}

/** The query for one pool: filesystems and volumes only (snapshots keep their own guids). */
export const poolQuery = (pool: string) => sh`zfs get -Hp -o name,property,value,source -t filesystem,volume -r all ${pool}`;

interface Cache {
  pools: Map<string, Promise<PoolFacts>>;
  /** The same answers once they arrived, for callers that must not query (check, diff). */
  settled: Map<string, PoolFacts>;
}
const CACHE_KEY = Symbol.for("zfs-fleet.inventory");
const cache: Map<string, Cache> = ((globalThis as Record<symbol, unknown>)[CACHE_KEY] as Map<string, Cache>) ??
  ((globalThis as Record<symbol, unknown>)[CACHE_KEY] = new Map<string, Cache>());

function hostCache(host: string): Cache {
  let c = cache.get(host);
  if (!c) cache.set(host, (c = { pools: new Map(), settled: new Map() }));
  c.settled ??= new Map(); // a cache made by an older copy of this module in the same process
  return c;
}

/** The facts of one pool, queried at most once until the host is written to. */
export function poolFacts(host: string, pool: string): Promise<PoolFacts> {
  const c = hostCache(host);
  let facts = c.pools.get(pool);
  if (!facts) {
    const asked: Promise<PoolFacts> = run(host, poolQuery(pool), { idempotent: true, timeoutMs: 300_000 }).then((r) => {
      const f = parseZfsGet(r.stdout);
      if (c.pools.get(pool) === asked) c.settled.set(pool, f); // not when invalidated meanwhile
      return f;
    });
    facts = asked;
    c.pools.set(pool, facts);
    facts.catch(() => c.pools.get(pool) === facts && c.pools.delete(pool));
  }
  return facts;
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

/** Forgets what was read on a host: call after any change made there. */
export function invalidate(host: string): void {
  cache.get(host)?.pools.clear();
  cache.get(host)?.settled?.clear();
}
