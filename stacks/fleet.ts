// The fleet as data: every dataset the stacks manage, on which host, and where
// it lives in each layout. `legacy` is the fleet before the 2024-03
// restructure (what the lab's seed lays out, lab/seed/legacy/); `current` is
// the fleet after it (../shared/domain/off-fleet.md). A dataset keeps its key
// across layouts: the key is the Pulumi resource name, so a dataset whose
// name differs between layouts is a rename (`~ update`), never a replacement.

export type HostName = "off1" | "off2" | "ovh3";
export type Layout = "legacy" | "current";

export const HOSTS: readonly HostName[] = ["off1", "off2", "ovh3"];

export const POOLS: Record<HostName, readonly string[]> = {
  off1: ["rpool", "zfs-hdd", "zfs-nvme"],
  off2: ["rpool", "zfs-hdd", "zfs-nvme"],
  ovh3: ["rpool"],
};

/** The user a host's root uses to pull from another host (delegated `hold,send` there). */
export const operatorOf = (puller: HostName): string => `${puller}operator`;

/**
 * Who pulls from whom: source host -> the hosts that pull from it (the same
 * before and after the restructure). Only the sending side delegates, so a
 * host's Delegations follow from this table: `<puller>operator` gets the
 * permissions below on each of its pools (off-fleet.md).
 */
export const PULLERS: Record<HostName, readonly HostName[]> = {
  off1: ["off2", "ovh3"],
  off2: ["off1", "ovh3"],
  ovh3: [],
};

/** What a pulling operator may do on its source: take holds and send, nothing else. */
export const PULL_PERMISSIONS: readonly string[] = ["hold", "send"];

export interface DelegationSpec {
  /** Stable resource name on the source host. */
  key: string;
  pool: string;
  user: string;
}

/** The delegations a source host grants to the operators of the hosts that pull from it. */
export function delegationsOf(host: HostName): DelegationSpec[] {
  return PULLERS[host].flatMap((puller) =>
    POOLS[host].map((pool) => ({ key: `${operatorOf(puller)}-${pool}`, pool, user: operatorOf(puller) })),
  );
}

export interface DatasetSpec {
  /** Stable resource name on its host. */
  key: string;
  /** Full name per layout; absent in a layout means the dataset is not there. */
  names: Partial<Record<Layout, string>>;
  properties?: Record<string, string>;
}

const same = (name: string, properties?: Record<string, string>): DatasetSpec => ({
  key: name,
  names: { legacy: name, current: name },
  properties,
});

/** A dataset that the restructure moved: the key is its name before the move. */
const moved = (legacy: string, current: string): DatasetSpec => ({ key: legacy, names: { legacy, current } });

/** A dataset the restructure created. */
const added = (current: string, properties?: Record<string, string>): DatasetSpec => ({
  key: current,
  names: { current },
  properties,
});

const under = (parent: string, children: readonly string[]): string[] => children.map((c) => `${parent}/${c}`);

// Backups moved out of the NFS-shared `backups` into a parent of their own,
// on every host (the report's "Moving off backups to their own folder").
const backupsMovedOut = (pool: string, names: readonly string[]): DatasetSpec[] =>
  names.map((n) => moved(`${pool}/backups/${n}`, `${pool}/off-backups/${n}`));

export const DATASETS: Record<HostName, readonly DatasetSpec[]> = {
  off1: [
    ...["zfs-hdd/pve", "zfs-nvme/pve", "zfs-hdd/backups"].map((n) => same(n)),
    ...["off", "off-nvme", "off-pro", "off-pro-nvme", "obf", "opf", "opff"].map((n) => same(`zfs-hdd/${n}`)),
    added("zfs-hdd/off-backups"),
    ...backupsMovedOut("zfs-hdd", ["off2-pve", "off2-pve-nvme", "off2-rpool"]),
  ],
  off2: [
    ...[
      "zfs-hdd/off",
      ...under("zfs-hdd/off", ["users", "orgs", "images", "html_data", "cache", "logs", "data", "products"]),
      "zfs-hdd/off-pro",
      ...under("zfs-hdd/off-pro", ["sftp", "images", "html_data", "cache", "cache/export_files", "logs"]),
      ...["obf", "opf", "opff"].flatMap((p) => [`zfs-hdd/${p}`, ...under(`zfs-hdd/${p}`, ["products", "images"])]),
      "zfs-hdd/pve",
      "zfs-hdd/logs-nginx",
      "zfs-hdd/backups",
      "zfs-nvme/off",
      "zfs-nvme/off/products",
      "zfs-nvme/off-pro",
      "zfs-nvme/off-pro/products",
      "zfs-nvme/pve",
    ].map((n) => same(n)),
    added("zfs-hdd/off-backups"),
    ...backupsMovedOut("zfs-hdd", ["mongodb", "off1-pve", "off1-pve-nvme", "off1-rpool", "off2"]),
  ],
  ovh3: [
    ...[
      "rpool/off",
      ...under("rpool/off", ["cache", "html_data", "images", "logs", "orgs", "products", "users"]),
      "rpool/off-pro",
      ...under("rpool/off-pro", ["images", "products"]),
      "rpool/obf",
      "rpool/opf",
      "rpool/opff",
      "rpool/backups",
      // These two stay under backups: they need its NFS share.
      "rpool/backups/robotoff",
      "rpool/backups/monitoring-volumes",
    ].map((n) => same(n)),
    added("rpool/off-backups"),
    ...backupsMovedOut("rpool", [
      "off1-pve",
      "off1-pve-nvme",
      "off1-raphael",
      "off1-rpool",
      "off2-nvme-pve",
      "off2-pve",
      "off2-rpool",
    ]),
    // Staging clones leave rpool/off (out of sanoid's recursive policy) and
    // get the off- prefix for the data that is per flavour.
    moved("rpool/off/clones", "rpool/staging-clones"),
    moved("rpool/off/clones/images", "rpool/staging-clones/off-images"),
    moved("rpool/off/clones/products", "rpool/staging-clones/off-products"),
    moved("rpool/off/clones/orgs", "rpool/staging-clones/orgs"),
    moved("rpool/off/clones/users", "rpool/staging-clones/users"),
  ],
};

/** The datasets of a host in a layout, parents before children. */
export function datasetsOf(host: HostName, layout: Layout): { key: string; name: string; properties?: Record<string, string> }[] {
  return DATASETS[host]
    .filter((d) => d.names[layout] !== undefined)
    .map((d) => ({ key: d.key, name: d.names[layout]!, properties: d.properties }))
    .sort((a, b) => depth(a.name) - depth(b.name));
}

const depth = (name: string): number => name.split("/").length;

/** The managed dataset that is the closest ancestor of `name`, if any. */
export function parentOf<T extends { name: string }>(name: string, datasets: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const d of datasets) {
    if (name.startsWith(`${d.name}/`) && (!best || d.name.length > best.name.length)) best = d;
  }
  return best;
}
