// Shares that spread: a dataset created or moved under a parent whose
// sharenfs is on is exported the moment it exists (ZFS shares every
// filesystem that inherits sharenfs). Pure: from the pool's facts the
// provider already holds (zfs/inventory.ts), never a remote call of its own.
import { parseSharenfs } from "../nfs/sharenfs";
import type { PoolFacts } from "../zfs/inventory";

const parentOf = (name: string) => name.slice(0, name.lastIndexOf("/"));

/** Who a sharenfs value lets in, in words. */
export function clientsOf(value: string): string {
  const share = parseSharenfs(value);
  if (!share) return "nobody";
  if (share.everyone) return "every host that can reach it";
  return share.clients.map((c) => `${c.address} (${c.access})`).join(", ");
}

/**
 * The share `name` would inherit under its parent, as the pool stands: the
 * dataset that sets sharenfs (the parent or an ancestor), its value and
 * clients; undefined when the parent is not shared or not known.
 */
export function inheritedShare(facts: PoolFacts, name: string): { from: string; value: string; clients: string } | undefined {
  const parent = facts.byName.get(parentOf(name));
  const p = parent?.properties["sharenfs"];
  if (!parent || !p || parseSharenfs(p.value) === undefined) return undefined;
  const from = p.source.startsWith("inherited from ") ? p.source.slice("inherited from ".length) : parent.name;
  return { from, value: p.value, clients: clientsOf(p.value) };
}

/** The warning for a dataset that is (or will be) exported because of a parent's share. */
export function spreadWarning(host: string, name: string, share: { from: string; value: string; clients: string }, when: string): string {
  return (
    `${host}: ${name} ${when} exported over NFS: it inherits sharenfs=${share.value} from ${share.from} (clients: ${share.clients}). ` +
    `If it must not be, put it elsewhere, or give it an NfsShare of its own that says who may mount it.`
  );
}
