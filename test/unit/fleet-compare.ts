// The fleet's description of a host (stacks/fleet.ts, legacy layout) and an
// import's description of it, each as the set of resources it makes, keyed by
// what they manage (identity and inputs, names resolved), with their keys: the
// comparison of import-fleet.test.ts (the seed, offline) and
// test/lab/import.test.ts (the seeded lab).
import type { Description } from "../../provider/import/describe";
import { clientsKey } from "../../provider/nfs/sharenfs";
import {
  type HostName,
  PULL_PERMISSIONS,
  PUSHES,
  SHARES,
  datasetsOf,
  delegationsOf,
  nameIn,
  policiesOf,
  policyArgs,
  pullArgs,
  pullsOf,
  templatesOf,
} from "../../stacks/fleet";

export const HOSTS: readonly HostName[] = ["off1", "off2", "ovh3"];
/** Resources per host: datasets, grants, templates, policies, pulls (and pushes), shares. */
export const COUNT: Record<HostName, number> = { off1: 13 + 6 + 4 + 10 + 8, off2: 38 + 6 + 4 + 15 + 23, ovh3: 29 + 4 + 11 + 9 + 3 };

/** One resource, by what it manages (its identity and inputs), with its key. */
export type Resources = Map<string, string>;

const canon = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));

export function fromFleet(host: HostName): Resources {
  const r: Resources = new Map();
  for (const d of datasetsOf(host, "legacy")) r.set(`Dataset ${canon({ name: d.name, properties: d.properties ?? {} })}`, d.key);
  for (const g of delegationsOf(host)) r.set(`Delegation ${canon({ dataset: g.pool, who: { user: g.user }, permissions: [...PULL_PERMISSIONS].sort(), scope: "both" })}`, g.key);
  for (const [name, settings] of Object.entries(templatesOf(host))) r.set(`SanoidTemplate ${canon({ name, settings })}`, `template_${name}`);
  for (const p of policiesOf(host, "legacy")) {
    const a = policyArgs(host, p, "legacy");
    r.set(`SanoidPolicy ${canon({ dataset: a.dataset, templates: a.templates, recursive: a.recursive, processChildrenOnly: a.processChildrenOnly, settings: {} })}`, p.dataset);
  }
  for (const p of pullsOf(host, "legacy")) {
    const a = pullArgs(host, p, "legacy");
    r.set(`SyncoidPull ${canon({ source: a.source, target: a.target, flags: a.flags, enabled: a.enabled })}`, p.key);
  }
  for (const p of PUSHES[host]) r.set(`SyncoidPull ${canon({ source: { dataset: p.source }, target: p.target, flags: p.flags, enabled: true })}`, p.key);
  for (const s of SHARES[host]) r.set(`NfsShare ${canon({ dataset: nameIn(host, s.dataset, "legacy"), clients: clientsKey(s.clients), options: [...s.options].sort() })}`, s.dataset);
  return r;
}

export function fromImport(d: Description): Resources {
  const nameOf = (ref: string) => d.datasets.find((x) => x.key === ref)?.name ?? ref;
  const r: Resources = new Map();
  for (const x of d.datasets) r.set(`Dataset ${canon({ name: x.name, properties: x.properties })}`, x.key);
  for (const g of d.grants) r.set(`Delegation ${canon({ dataset: nameOf(g.dataset), who: g.who, permissions: [...g.permissions].sort(), scope: g.scope })}`, g.key);
  for (const t of d.templates) r.set(`SanoidTemplate ${canon({ name: t.name, settings: t.settings })}`, t.key);
  for (const p of d.policies) r.set(`SanoidPolicy ${canon({ dataset: nameOf(p.dataset), templates: p.templates, recursive: p.recursive, processChildrenOnly: p.processChildrenOnly, settings: p.settings })}`, p.key);
  for (const p of d.pulls) {
    const source = p.source.host === undefined ? { dataset: nameOf(p.source.dataset) } : p.source;
    r.set(`SyncoidPull ${canon({ source, target: nameOf(p.target), flags: p.flags, enabled: p.enabled })}`, p.key);
  }
  for (const s of d.shares) r.set(`NfsShare ${canon({ dataset: nameOf(s.dataset), clients: clientsKey(s.clients), options: [...s.options].sort() })}`, s.key);
  return r;
}

