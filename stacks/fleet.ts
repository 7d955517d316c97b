// The fleet as data: every dataset the stacks manage, on which host, and where
// it lives in each layout. `legacy` is the fleet before the 2024-03
// restructure (what the lab's seed lays out, lab/seed/legacy/); `current` is
// the fleet after it; the facts both rely on are in docs/fleet.md. A dataset
// keeps its key across layouts: the key is the Pulumi resource name, so a
// dataset whose name differs between layouts is a rename (`~ update`), never
// a replacement.

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

// ---------------------------------------------------------------------------
// Snapshot policies (/etc/sanoid/sanoid.conf)

/** sanoid settings of a template, in the order the operators' files write them. */
export type Settings = Record<string, string>;

const template = (frequentPeriod: string | undefined, counts: [string, string, string, string], autosnap: "yes" | "no"): Settings => ({
  ...(frequentPeriod ? { frequent_period: frequentPeriod } : {}),
  frequently: "0",
  hourly: counts[0],
  daily: counts[1],
  monthly: counts[2],
  yearly: counts[3],
  autosnap,
  autoprune: "yes",
});

/**
 * The templates of each host (docs/fleet.md): data keeps 36 hourly, 30 daily
 * and 3 monthly (ovh3, the off-site copy, 6 monthly and 2 yearly); system
 * volumes 10/10/6/0. `synced_*` prune what the source snapshots (autosnap no).
 */
export function templatesOf(host: HostName): Record<string, Settings> {
  const data: [string, string, string, string] = host === "ovh3" ? ["36", "30", "6", "2"] : ["36", "30", "3", "0"];
  const sys: [string, string, string, string] = ["10", "10", "6", "0"];
  return {
    local_data: template("30", data, "yes"),
    local_sys: template("60", sys, "yes"),
    synced_data: template(undefined, data, "no"),
    synced_sys: template("60", sys, "no"),
  };
}

export interface PolicySpec {
  /** A dataset key of the host (the section follows the dataset's renames), or a pool root. */
  dataset: string;
  template: string;
  recursive: "yes" | "no";
  processChildrenOnly?: boolean;
  /** The layouts the section is managed in (default both). */
  layouts?: readonly Layout[];
  /** Fold the copies of a duplicated section into one (the off1 file's latent bug). */
  resolveDuplicates?: boolean;
}

const policies = (template: string, recursive: "yes" | "no", datasets: readonly string[]): PolicySpec[] =>
  datasets.map((dataset) => ({ dataset, template, recursive }));

export const POLICIES: Record<HostName, readonly PolicySpec[]> = {
  off1: [
    ...policies("local_sys", "yes", ["zfs-hdd/pve", "zfs-nvme/pve", "rpool"]),
    ...policies("synced_data", "yes", ["off", "off-nvme", "off-pro", "off-pro-nvme", "obf", "opf", "opff"].map((n) => `zfs-hdd/${n}`)),
    // The legacy file has [zfs-hdd/backups] twice: local_sys, then synced_sys
    // for off2's backups below it; sanoid keeps the first value of each key, so
    // the replicas got autosnap. Adopting leaves the section alone (managing it
    // would rewrite it); the restructure folds the copies into the first, the
    // local backups' policy, and gives the moved replicas a section of their own.
    { dataset: "zfs-hdd/backups", template: "local_sys", recursive: "yes", layouts: ["current"], resolveDuplicates: true },
    { dataset: "zfs-hdd/off-backups", template: "synced_sys", recursive: "yes", processChildrenOnly: true, layouts: ["current"] },
  ],
  off2: [
    ...policies("local_data", "yes", ["zfs-hdd/off", "zfs-nvme/off", "zfs-hdd/off-pro", "zfs-nvme/off-pro", "zfs-hdd/obf", "zfs-hdd/opf", "zfs-hdd/opff"]),
    ...policies("local_sys", "yes", ["zfs-hdd/pve", "zfs-nvme/pve", "rpool"]),
    // The backups' sections move with their datasets (keys are the legacy names).
    ...policies("local_sys", "no", ["zfs-hdd/backups/off2"]),
    ...policies("synced_data", "no", ["zfs-hdd/backups/mongodb"]),
    ...policies("synced_sys", "yes", ["zfs-hdd/backups/off1-pve", "zfs-hdd/backups/off1-pve-nvme", "zfs-hdd/backups/off1-rpool"]),
  ],
  ovh3: [
    ...policies("synced_data", "yes", ["rpool/obf", "rpool/opf", "rpool/opff", "rpool/off", "rpool/off-pro"]),
    ...policies("local_data", "no", ["rpool/backups/robotoff"]),
    // No section for rpool/off-backups itself: its children keep their own
    // sections, and one of them (off1-raphael) has none on purpose.
    ...policies("synced_sys", "yes", [
      "rpool/backups/off2-pve",
      "rpool/backups/off2-nvme-pve",
      "rpool/backups/off1-pve",
      "rpool/backups/off1-pve-nvme",
      "rpool/backups/off1-rpool",
    ]),
  ],
};

export const policiesOf = (host: HostName, layout: Layout): PolicySpec[] =>
  POLICIES[host].filter((p) => (p.layouts ?? ["legacy", "current"]).includes(layout));

// ---------------------------------------------------------------------------
// Replication (/etc/sanoid/syncoid-args.conf on the pulling host)

/** How a puller reaches its source, as the operators' files write it (private network between off1 and off2). */
export const ADDRESSES: Partial<Record<HostName, Partial<Record<HostName, string>>>> = {
  off1: { off2: "10.0.0.2" },
  off2: { off1: "10.0.0.1" },
  ovh3: { off1: "off1.openfoodfacts.org", off2: "off2.openfoodfacts.org" },
};

export type PullState = "on" | "paused";

export interface PullSpec {
  /** Stable resource name on the pulling host. */
  key: string;
  from: HostName;
  /** A dataset key of `from` (its current name comes from `from`'s stack), or a pool root. */
  source: string;
  /** A dataset key of the pulling host (the line follows the target's renames). */
  target: string;
  recursive: boolean;
  /** The line in each layout: an active pull, a paused one (commented out, as operators pause), or none. */
  state: Partial<Record<Layout, PullState>>;
  /** Keep one of several lines pulling into the target (the off1 file's opf -> obf mistake). */
  resolveDuplicates?: boolean;
}

const BOTH: Partial<Record<Layout, PullState>> = { legacy: "on", current: "on" };
const pull = (from: HostName, source: string, target: string, recursive = true, state = BOTH, key = target): PullSpec => ({
  key,
  from,
  source,
  target,
  recursive,
  state,
});

export const PULLS: Record<HostName, readonly PullSpec[]> = {
  off1: [
    pull("off2", "zfs-hdd/off", "zfs-hdd/off"),
    pull("off2", "zfs-nvme/off", "zfs-hdd/off-nvme"),
    pull("off2", "zfs-hdd/off-pro", "zfs-hdd/off-pro"),
    pull("off2", "zfs-nvme/off-pro", "zfs-hdd/off-pro-nvme"),
    // The legacy file pulls both obf and opf into zfs-hdd/obf: adopting leaves
    // the two lines alone; the restructure keeps the obf line and gives opf its own.
    { ...pull("off2", "zfs-hdd/obf", "zfs-hdd/obf", true, { current: "on" }), resolveDuplicates: true },
    pull("off2", "zfs-hdd/opf", "zfs-hdd/opf", true, { current: "on" }),
    pull("off2", "zfs-hdd/opff", "zfs-hdd/opff"),
    pull("off2", "rpool", "zfs-hdd/backups/off2-rpool"),
    pull("off2", "zfs-hdd/pve", "zfs-hdd/backups/off2-pve"),
    pull("off2", "zfs-nvme/pve", "zfs-hdd/backups/off2-pve-nvme"),
  ],
  off2: [
    pull("off1", "zfs-nvme/pve", "zfs-hdd/backups/mongodb", false),
    pull("off1", "zfs-hdd/pve", "zfs-hdd/backups/off1-pve"),
    pull("off1", "zfs-nvme/pve", "zfs-hdd/backups/off1-pve-nvme"),
    pull("off1", "rpool", "zfs-hdd/backups/off1-rpool"),
  ],
  ovh3: [
    // Prepared but paused before the restructure (off2 pushed as root); on after it.
    ...["rpool/obf", "rpool/opf", "rpool/opff", "rpool/off"].map((t) => pull("off2", `zfs-hdd/${t.slice(6)}`, t, true, { legacy: "paused", current: "on" })),
    pull("off2", "zfs-nvme/off/products", "rpool/off/products", false, { legacy: "paused", current: "on" }),
    pull("off2", "rpool", "rpool/backups/off2-rpool", true, { legacy: "paused", current: "on" }),
    // New with the restructure: what off2 pushed before.
    pull("off2", "zfs-hdd/off-pro", "rpool/off-pro", true, { current: "on" }),
    pull("off2", "zfs-hdd/pve", "rpool/backups/off2-pve", true, { current: "on" }),
    pull("off2", "zfs-nvme/pve", "rpool/backups/off2-nvme-pve", true, { current: "on" }),
    pull("off1", "zfs-hdd/pve", "rpool/backups/off1-pve"),
    pull("off1", "zfs-nvme/pve", "rpool/backups/off1-pve-nvme"),
    pull("off1", "rpool", "rpool/backups/off1-rpool"),
  ],
};

/**
 * Who pulls from whom, as the pulls above declare it: source host -> the hosts
 * that pull from it (the same in both layouts). Only the sending side
 * delegates, so a host's Delegations follow from the pulls other hosts
 * declare against it: `<puller>operator` gets PULL_PERMISSIONS on each of its
 * pools (docs/fleet.md), granted on the pool roots.
 */
export const PULLERS: Record<HostName, readonly HostName[]> = {
  off1: pullersOf("off1"),
  off2: pullersOf("off2"),
  ovh3: pullersOf("ovh3"),
};

function pullersOf(source: HostName): HostName[] {
  return HOSTS.filter((puller) => PULLS[puller].some((p) => p.from === source));
}

export const pullsOf = (host: HostName, layout: Layout): PullSpec[] => PULLS[host].filter((p) => p.state[layout] !== undefined);

/** The flags every pull of the fleet uses (no snapshots on the source, no sudo there: delegated rights). */
export const flagsOf = (p: PullSpec): string[] => ["--no-sync-snap", "--no-privilege-elevation", ...(p.recursive ? ["--recursive"] : [])];

export interface PushSpec {
  key: string;
  flags: string[];
  source: string;
  /** `root@ovh3...:dataset`: the remote end the line pushes to. */
  target: string;
}

/**
 * Before the restructure off2 pushed its data to ovh3 as root: lines of off2's
 * syncoid-args.conf whose target is remote. The legacy program adopts them so
 * that the current one, which has none, removes them (ovh3 pulls instead).
 */
const OVH3_ROOT = "root@ovh3.openfoodfacts.org";
export const PUSHES: Record<HostName, readonly PushSpec[]> = {
  off1: [],
  off2: [
    ...["obf", "opf", "opff"].flatMap((p) => ["", "/images", "/products"].map((c) => `${p}${c}`)),
    ...["cache", "html_data", "logs", "images"].map((c) => `off/${c}`),
  ]
    .map((d) => ({ key: `push-${d}`, flags: ["--no-sync-snap"], source: `zfs-hdd/${d}`, target: `${OVH3_ROOT}:rpool/${d}` }))
    .concat([
      { key: "push-off/products", flags: ["--no-sync-snap"], source: "zfs-nvme/off/products", target: `${OVH3_ROOT}:rpool/off/products` },
      { key: "push-off/orgs", flags: ["--no-sync-snap"], source: "zfs-hdd/off/orgs", target: `${OVH3_ROOT}:rpool/off/orgs` },
      { key: "push-off/users", flags: ["--no-sync-snap"], source: "zfs-hdd/off/users", target: `${OVH3_ROOT}:rpool/off/users` },
      { key: "push-off-pro/images", flags: ["--no-sync-snap"], source: "zfs-hdd/off-pro/images", target: `${OVH3_ROOT}:rpool/off-pro/images` },
      { key: "push-off-pro/products", flags: ["--no-sync-snap"], source: "zfs-nvme/off-pro/products", target: `${OVH3_ROOT}:rpool/off-pro/products` },
      { key: "push-pve", flags: ["-r", "--no-sync-snap"], source: "zfs-hdd/pve", target: `${OVH3_ROOT}:rpool/backups/off2-pve` },
    ]),
  ovh3: [],
};

// ---------------------------------------------------------------------------
// NFS shares (sharenfs), the same in both layouts; a share follows its dataset's renames.

export interface ShareSpec {
  /** A dataset key of the host. */
  dataset: string;
  clients: { address: string; access: "rw" | "ro" }[];
  options: string[];
}

export const SHARES: Record<HostName, readonly ShareSpec[]> = {
  off1: [],
  off2: [],
  ovh3: [
    // Proxmox pushes its backups here; only robotoff and monitoring-volumes stay below it.
    { dataset: "rpool/backups", clients: [{ address: "10.0.0.0/28", access: "rw" }], options: ["no_root_squash"] },
    {
      dataset: "rpool/backups/robotoff",
      clients: [
        { address: "10.0.0.0/28", access: "rw" },
        { address: "10.1.0.201", access: "rw" },
      ],
      options: ["no_root_squash"],
    },
    // Staging (10.1.0.200) and off1 read the clones.
    {
      dataset: "rpool/off/clones",
      clients: [
        { address: "10.0.0.1", access: "rw" },
        { address: "10.1.0.200", access: "rw" },
      ],
      options: ["no_root_squash"],
    },
  ],
};

/** A dataset key's full name in a layout; a name that is not a key (a pool root) is itself. */
export function nameIn(host: HostName, key: string, layout: Layout): string {
  const d = DATASETS[host].find((x) => x.key === key);
  if (!d) return key;
  const name = d.names[layout];
  if (name === undefined) throw new Error(`${host}: dataset ${key} is not in the ${layout} layout`);
  return name;
}

// ---------------------------------------------------------------------------
// The resources' inputs, with their names from a resolver: the description
// itself (namesIn: tests, and a stack that reads nothing yet) or, in the
// program, the live Dataset resources and the source hosts' stacks.

/** Where a resource's names come from. */
export interface Names<N> {
  /** A dataset of this host by its key; a name that is no key (a pool root) is itself. */
  dataset(key: string): N;
  /** A dataset of host `from` by its key. */
  source(from: HostName, key: string): N;
  /** The user this host pulls from `from` as. */
  user(from: HostName): N;
}

/** The names of `host`'s resources as the description has them in a layout. */
export function namesIn(host: HostName, layout: Layout): Names<string> {
  return {
    dataset: (key) => nameIn(host, key, layout),
    source: (from, key) => nameIn(from, key, layout),
    user: () => operatorOf(host),
  };
}

/** A policy's inputs but its host, in a layout; names from the description unless the program gives its own. */
export function policyArgs<N = string>(host: HostName, p: PolicySpec, layout: Layout, names: Names<N | string> = namesIn(host, layout)) {
  return {
    dataset: names.dataset(p.dataset),
    templates: [p.template],
    recursive: p.recursive,
    ...(p.processChildrenOnly ? { processChildrenOnly: true } : {}),
    ...(p.resolveDuplicates ? { resolveDuplicates: true } : {}),
  };
}

/** A pull's inputs but its host, in a layout; names from the description unless the program gives its own. */
export function pullArgs<N = string>(host: HostName, p: PullSpec, layout: Layout, names: Names<N | string> = namesIn(host, layout)) {
  const address = ADDRESSES[host]?.[p.from];
  if (!address) throw new Error(`${host} pulls from ${p.from}, but ADDRESSES has no address for it`);
  return {
    source: { user: names.user(p.from), host: address, dataset: names.source(p.from, p.source) },
    target: names.dataset(p.target),
    flags: flagsOf(p),
    enabled: p.state[layout] === "on",
    ...(p.resolveDuplicates ? { resolveDuplicates: true } : {}),
  };
}
