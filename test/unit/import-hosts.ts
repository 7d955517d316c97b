// Hosts for the import's unit tests, as the import's one command would print
// them (provider/import/facts.ts): framed sections of real OpenZFS output.
//
// - `seededHost(host)`: a lab host after `labctl seed-legacy`, from the seed
//   itself (lab/seed/legacy/<host>/: the layout's datasets, clones, `set`
//   and `allow` lines, the operators' sanoid.conf and syncoid-args.conf),
//   rendered in the formats of the captured outputs in test/fixtures/
//   (`zfs get -Hp` lines, `zfs allow` blocks, zfs.exports lines). The lab's
//   pools are made as lab/vm/lab-vm.sh makes them (compression=lz4,
//   atime=off, mountpoint=/<pool>, set on the root).
// - `framed(...)`: any sections, for hand-made hosts.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IDENTITY_PROPERTIES, type Paths } from "../../provider/import/facts";
import { parseSharenfs } from "../../provider/nfs/sharenfs";

export const NONCE = "zfs-fleet-0123456789abcdef01234567";
export const PATHS: Paths = { sanoidConf: "/etc/sanoid/sanoid.conf", syncoidArgs: "/etc/sanoid/syncoid-args.conf" };
export const SEED = join(__dirname, "../../lab/seed/legacy");
export const FIXTURES = join(__dirname, "../fixtures/openzfs-2.1");

export type SeedHost = "off1" | "off2" | "ovh3";
export const SEED_POOLS: Record<SeedHost, readonly string[]> = { off1: ["rpool", "zfs-hdd", "zfs-nvme"], off2: ["rpool", "zfs-hdd", "zfs-nvme"], ovh3: ["rpool"] };

export interface Section {
  name: string;
  body: string;
  exitCode?: number;
}

/** Sections as the import's script frames them. */
export function framed(sections: readonly Section[], nonce = NONCE): string {
  return sections.map((s) => `${nonce} begin ${s.name}\n${s.body}\n${nonce} end ${s.exitCode ?? 0}\n`).join("") + `${nonce} done\n`;
}

/** A file section: its content, or absent (the read script's exit 3). */
export const fileSection = (name: "sanoid" | "syncoid" | "exports", content: string | undefined): Section =>
  content === undefined ? { name, body: "", exitCode: 3 } : { name, body: content };

/** A dataset of a made-up host: its properties with their sources, as `zfs get -Hp` prints them. */
export interface FakeDataset {
  name: string;
  type?: "filesystem" | "volume";
  origin?: string;
  /** property -> [value, source]. */
  properties: Record<string, [string, string]>;
}

/** A guid as ZFS prints one (a 64-bit number), stable per host and name. */
export const guidOf = (host: string, name: string): string => BigInt(`0x${createHash("sha256").update(`${host}\0${name}`).digest("hex").slice(0, 16)}`).toString();

/** The sections a host of `datasets` prints: the two `zfs get` readings and one `zfs allow` per dataset. */
export function zfsSections(host: string, datasets: readonly FakeDataset[], allow: (name: string) => string = () => ""): Section[] {
  const identity: string[] = [];
  const local: string[] = [];
  for (const d of datasets) {
    const all: Record<string, [string, string]> = {
      guid: [guidOf(host, d.name), "-"],
      type: [d.type ?? "filesystem", "-"],
      origin: [d.origin ?? "-", "-"],
      mounted: [d.type === "volume" ? "-" : "yes", "-"],
      ...d.properties,
    };
    for (const p of IDENTITY_PROPERTIES) if (all[p]) identity.push(`${d.name}\t${p}\t${all[p][0]}\t${all[p][1]}`);
    for (const [p, [value, source]] of Object.entries(all)) if (source === "local" || source === "received") local.push(`${d.name}\t${p}\t${value}\t${source}`);
  }
  return [
    { name: "identity", body: identity.join("\n") + "\n" },
    { name: "local", body: local.join("\n") + (local.length ? "\n" : "") },
    ...datasets.map((d) => ({ name: `allow ${d.name}`, body: allow(d.name) })),
  ];
}

const HEADER_WIDTH = 70;
/** A `---- Permissions on X ----` header, as wide as OpenZFS prints it. */
export const allowHeader = (name: string): string => {
  const head = `---- Permissions on ${name} `;
  return head + "-".repeat(Math.max(0, HEADER_WIDTH - head.length));
};

interface Layout {
  datasets: { name: string; props: Record<string, string>; origin?: string }[];
  sets: [string, string][];
  allows: { who: string; perms: string; name: string }[];
}

function readLayout(host: SeedHost): Layout {
  const layout: Layout = { datasets: [], sets: [], allows: [] };
  for (const raw of readFileSync(join(SEED, host, "layout"), "utf8").split("\n")) {
    const [directive, ...words] = raw.trim().split(/\s+/);
    if (!directive || directive.startsWith("#")) continue;
    const props = (list: string[]) => Object.fromEntries(list.map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
    if (directive === "dataset") layout.datasets.push({ name: words[0], props: props(words.slice(1)) });
    else if (directive === "clone") layout.datasets.push({ name: words[1], props: props(words.slice(2)), origin: words[0] });
    else if (directive === "set") layout.sets.push([words[0], words[1]]);
    else if (directive === "allow") layout.allows.push({ who: words[0], perms: words[1], name: words[2] });
    else if (directive !== "snapshot") throw new Error(`layout of ${host}: unknown directive ${directive}`);
  }
  return layout;
}

/** What the import reads of a lab host right after `labctl seed-legacy`. */
export function seededHost(host: SeedHost): { stdout: string; nonce: string; paths: Paths } {
  const layout = readLayout(host);
  const local = new Map<string, Record<string, string>>();
  for (const pool of SEED_POOLS[host]) local.set(pool, { compression: "lz4", atime: "off", mountpoint: `/${pool}` });
  for (const d of layout.datasets) {
    // `zfs create -p` makes missing parents with nothing set on them.
    const parts = d.name.split("/");
    for (let i = 2; i < parts.length; i++) if (!local.has(parts.slice(0, i).join("/"))) local.set(parts.slice(0, i).join("/"), {});
    local.set(d.name, { ...(local.get(d.name) ?? {}), ...d.props });
  }
  for (const [kv, name] of layout.sets) local.get(name)![kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
  const origins = new Map(layout.datasets.filter((d) => d.origin).map((d) => [d.name, d.origin!]));
  const names = [...local.keys()].sort(treeSort);
  const inherited = (name: string, prop: string): [string, string] | undefined => {
    for (let parts = name.split("/").slice(0, -1); parts.length; parts.pop()) {
      const v = local.get(parts.join("/"))?.[prop];
      if (v !== undefined) return [prop === "mountpoint" ? `${v}${name.slice(parts.join("/").length)}` : v, `inherited from ${parts.join("/")}`];
    }
    return undefined;
  };
  const datasets: FakeDataset[] = names.map((name) => {
    const own = local.get(name)!;
    const properties: Record<string, [string, string]> = {};
    for (const [k, v] of Object.entries(own)) properties[k] = [v, "local"];
    for (const p of ["mountpoint", "sharenfs", "compression", "atime"]) {
      if (!properties[p]) properties[p] = inherited(name, p) ?? [p === "sharenfs" ? "off" : "-", "default"];
    }
    return { name, origin: origins.get(name), properties };
  });
  // `zfs allow NAME` prints the block of NAME, then of each ancestor with grants (fixtures/openzfs-2.1).
  const blocks = new Map<string, string[]>();
  for (const a of layout.allows) blocks.set(a.name, [...(blocks.get(a.name) ?? []), `\tuser ${a.who} ${a.perms}`]);
  const allow = (name: string) => {
    const out: string[] = [];
    for (let parts = name.split("/"); parts.length; parts.pop()) {
      const b = blocks.get(parts.join("/"));
      if (b) out.push(allowHeader(parts.join("/")), "Local+Descendent permissions:", ...b);
    }
    return out.length ? `${out.join("\n")}\n` : "";
  };
  // What OpenZFS writes for the shares (sharenfs set or inherited), as nfs-zfs.exports-ovh3.txt shows.
  const exports = datasets
    .filter((d) => d.properties.sharenfs[0] !== "off")
    .flatMap((d) => {
      const share = parseSharenfs(d.properties.sharenfs[0])!;
      const opts = share.options.join(",");
      return share.clients.map((c) => `${d.properties.mountpoint[0]} ${c.address}(sec=sys,${c.access},no_subtree_check,mountpoint${opts ? `,${opts}` : ""})`);
    });
  const stdout = framed([
    ...zfsSections(host, datasets, allow),
    fileSection("sanoid", readFileSync(join(SEED, host, "sanoid.conf"), "utf8")),
    fileSection("syncoid", readFileSync(join(SEED, host, "syncoid-args.conf"), "utf8")),
    fileSection("exports", exports.length ? `# !!! DO NOT EDIT THIS FILE MANUALLY !!!\n\n${exports.join("\n")}\n` : undefined),
  ]);
  return { stdout, nonce: NONCE, paths: PATHS };
}

function treeSort(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length - y.length;
}

/** The real `zfs get -Hp ... all -r zfs-nvme` of off1 (fixtures), as the import's two readings. */
export function fixtureHost(): Section[] {
  const lines = readFileSync(join(FIXTURES, "dataset-zfs-get-all-r-zfs-nvme-off1.txt"), "utf8").split("\n").filter(Boolean);
  const field = (l: string) => l.split("\t");
  const identity = lines.filter((l) => (IDENTITY_PROPERTIES as readonly string[]).includes(field(l)[1]));
  const local = lines.filter((l) => ["local", "received"].includes(field(l).at(-1)!));
  const names = [...new Set(lines.map((l) => field(l)[0]))];
  return [
    { name: "identity", body: `${identity.join("\n")}\n` },
    { name: "local", body: `${local.join("\n")}\n` },
    ...names.map((n) => ({ name: `allow ${n}`, body: "" })),
  ];
}

