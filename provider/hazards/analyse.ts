// The hazard scan's output (scan.ts) parsed, and what it means for a move or
// a removal of given datasets. Pure: the provider runs the scan, unit tests
// read real output captured on the lab (test/fixtures/openzfs-2.1/hazards-*).
//
// What makes a hazard, for a dataset D that is renamed, moved or removed
// (its descendants go with it):
// - bindMount: a mount held in another mount namespace (a container, a
//   process started with `unshare -m`), not a slave copy of the host's
//   mounts (systemd's sandboxes: `master:N` in mountinfo, or shared with a
//   host peer group), that (a) is D or a descendant, mounted or bound
//   anywhere (a plain bind follows a rename, but it keeps the old dataset
//   busy and the container's view is no longer the host's); (b) is stacked
//   on D's mountpoint directory (the report's incident: ZFS removes that
//   directory when it moves D, which detaches whatever the namespace had
//   mounted there); or (c) binds a parent directory through which the
//   namespace sees D's mountpoint (that path vanishes inside).
// - configuredContainer: a stopped container (Proxmox `mpN:`/`rootfs:`,
//   LXC `lxc.mount.entry`) whose mount entry points into D or through a
//   parent onto it: it would start pointing at nothing. A running one shows
//   as bindMount, its entry named there.
// - replication: `zfs send`, `zfs receive` or syncoid working on D, a
//   descendant, or an ancestor (recursively); and on a source, an open ssh
//   session (`sshd: USER@notty`) of a user that `zfs allow` lets send D
//   (syncoid's connection stays open between two sends, when no zfs process
//   shows).
// - nfsClient: an NFS client with files of D's exports open (nfsd's state
//   records), or connected while D is exported (v4 clients are listed once
//   they mount; NFSv3 ones in rmtab).
import { parseAllow } from "../delegation/allow";

export type HazardKind = "bindMount" | "configuredContainer" | "replication" | "nfsClient";
/** The kinds a program acknowledges to go ahead; replication is waited for, NFS clients are warned about. */
export const ACKNOWLEDGEABLE = ["bindMount", "configuredContainer"] as const;

export interface Hazard {
  kind: HazardKind;
  /** The dataset moved or removed (the one asked about). */
  dataset: string;
  /** The holding process, when one holds it. */
  pid?: number;
  process?: string;
  /** `lxc 101`, `nspawn web`, `docker 0123456789ab`, `unit x.service`: who to stop. */
  container?: string;
  /** Where the holder sees it (inside its namespace, or the container's mount point). */
  pathInside?: string;
  /** What acknowledges it (`bindMount:101`, `bindMount:/mnt/off`); none for replication and NFS clients. */
  acks: string[];
  message: string;
}

export interface Mount {
  id: number;
  parent: number;
  /** major:minor, decimal. */
  dev: string;
  root: string;
  mountPoint: string;
  optional: string[];
  fstype: string;
  source: string;
}

export interface Namespace {
  pid: number;
  inode: string;
  cgroup: string[];
  mounts: Mount[];
}

export interface Process {
  pid: number;
  user: string;
  args: string;
}

export interface NfsClient {
  id: string;
  address: string;
  name: string;
  /** major:minor (decimal) of each filesystem it holds state on. */
  devices: string[];
}

export interface Scan {
  hostNs: string;
  hostMounts: Mount[];
  ps: Process[];
  namespaces: Namespace[];
  /** `file:key: value` lines of Proxmox container configs. */
  pve: string[];
  pveStorage: string;
  lxc: string[];
  nfsClients: NfsClient[];
  etab: string[];
  rmtab: string[];
  /** `zfs allow` output by dataset. */
  allow: Record<string, string>;
  /** The scan ran to its end (a cut output is refused, not read as "nothing found"). */
  complete: boolean;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(lines: readonly string[]): Mount[] {
  const out: Mount[] = [];
  for (const line of lines) {
    const f = line.split(" ");
    const dash = f.indexOf("-", 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2],
      root: unescape(f[3]),
      mountPoint: unescape(f[4]),
      optional: f.slice(6, dash),
      fstype: f[dash + 1],
      source: unescape(f[dash + 2] ?? ""),
    });
  }
  return out;
}

const MARK = "@@zfs-fleet:";

export function parseScan(output: string): Scan {
  const scan: Scan = { hostNs: "", hostMounts: [], ps: [], namespaces: [], pve: [], pveStorage: "", lxc: [], nfsClients: [], etab: [], rmtab: [], allow: {}, complete: false };
  const parts: { head: string; lines: string[] }[] = [];
  for (const line of output.split("\n")) {
    if (line.startsWith(MARK)) parts.push({ head: line.slice(MARK.length), lines: [] });
    else if (parts.length > 0) parts[parts.length - 1].lines.push(line);
  }
  const text = (lines: string[]) => lines.filter((l) => l.trim() !== "");
  let ns: Namespace | undefined;
  let client: NfsClient | undefined;
  for (const { head, lines } of parts) {
    const [what, ...args] = head.split(" ");
    switch (what) {
      case "host-ns":
        scan.hostNs = lines[0]?.trim() ?? "";
        break;
      case "host-mountinfo":
        scan.hostMounts = parseMountinfo(lines);
        break;
      case "ps":
        for (const l of lines.slice(1)) {
          const m = l.match(/^\s*(\d+)\s+(\S+)\s+(.*)$/);
          if (m) scan.ps.push({ pid: Number(m[1]), user: m[2], args: m[3] });
        }
        break;
      case "ns":
        scan.namespaces.push((ns = { pid: Number(args[0]), inode: args[1] ?? "", cgroup: [], mounts: [] }));
        break;
      case "cgroup":
        if (ns) ns.cgroup = text(lines);
        break;
      case "mountinfo":
        if (ns) ns.mounts = parseMountinfo(lines);
        break;
      case "pve":
        scan.pve = text(lines);
        break;
      case "pve-storage":
        scan.pveStorage = lines.join("\n");
        break;
      case "lxc":
        scan.lxc = text(lines);
        break;
      case "client": {
        const field = (k: string) => lines.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2).replace(/^"(.*)"$/, "$1") ?? "";
        scan.nfsClients.push((client = { id: args[0] ?? "", address: field("address").replace(/:\d+$/, ""), name: field("name"), devices: [] }));
        break;
      }
      case "states":
        // superblock: "00:29:2" is major:minor:inode in hex.
        if (client) {
          const devs = new Set<string>();
          for (const m of lines.join("\n").matchAll(/superblock: "([0-9a-f]+):([0-9a-f]+):[0-9a-f]+"/g)) devs.add(`${parseInt(m[1], 16)}:${parseInt(m[2], 16)}`);
          client.devices = [...devs];
        }
        break;
      case "etab":
        scan.etab = text(lines);
        break;
      case "rmtab":
        scan.rmtab = text(lines);
        break;
      case "allow":
        scan.allow[args.join(" ")] = lines.join("\n");
        break;
      case "end":
        scan.complete = true;
        break;
    }
  }
  return scan;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
const joinPath = (a: string, rel: string) => (rel === "" ? a : `${a.replace(/\/$/, "")}/${rel}`);
const relative = (path: string, dir: string) => (path === dir ? "" : path.slice(dir === "/" ? 1 : dir.length + 1));
const isSelfOrBelow = (name: string, d: string) => name === d || name.startsWith(`${d}/`);

/** Who holds a namespace, from its cgroup: a container when one can be told, else the systemd unit. */
export function containerOf(cgroup: readonly string[]): string | undefined {
  const path = cgroup.map((l) => l.split(":").slice(2).join(":")).find((p) => p !== "") ?? "";
  let m = path.match(/\/lxc\.payload\.([^/]+)/) ?? path.match(/^\/lxc\/([^/]+)/);
  if (m) return `lxc ${m[1]}`;
  m = path.match(/machine-(.+?)\.scope/);
  if (m) return `nspawn ${m[1].replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))}`;
  m = path.match(/docker-([0-9a-f]{12})[0-9a-f]*\.scope/) ?? path.match(/\/docker\/([0-9a-f]{12})/);
  if (m) return `docker ${m[1]}`;
  m = path.match(/([^/]+\.(?:service|scope))(?:\/|$)/);
  return m ? `unit ${m[1]}` : undefined;
}

/** The id an acknowledgement names: `101` for `lxc 101`, `x.service` for a unit. */
const ackId = (container: string) => container.split(" ").slice(1).join(" ");

/** What to do about a holder, in the operators' words. */
function remedy(container: string | undefined, pid: number): string {
  if (!container) return `stop process ${pid}`;
  const [kind, id] = [container.split(" ")[0], ackId(container)];
  if (kind === "lxc") return `stop the container (pct stop ${id}), or change its mount entry`;
  if (kind === "nspawn") return `stop the container (machinectl stop ${id}), or change its bind`;
  if (kind === "docker") return `stop the container (docker stop ${id}), or change its volume`;
  return `stop it (systemctl stop ${id})`;
}

interface DatasetMount {
  name: string;
  path: string;
  dev: string;
}

/** Where the host has D and its descendants mounted (their own mounts, root /). */
function hostMountsOf(index: ScanIndex, dataset: string): DatasetMount[] {
  // hostDatasets is sorted by name: D's descendants (`D/...`) are one run of it, found by bisection.
  const list = index.hostDatasets;
  const below = `${dataset}/`;
  let lo = 0;
  for (let hi = list.length; lo < hi; ) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].name < below) lo = mid + 1;
    else hi = mid;
  }
  const at: number[] = [];
  for (let i = lo; i < list.length && list[i].name.startsWith(below); i++) at.push(list[i].at);
  for (const i of index.selfAt.get(dataset) ?? []) at.push(i);
  // In mountinfo's order, as the host lists them.
  return at.sort((a, b) => a - b).map((i) => index.hostMounts[i]);
}

/** A process of the scan that works on datasets: syncoid, zfs send or receive, with the datasets its words name. */
interface Replicator {
  process: Process;
  /** "syncoid" or "zfs send", "zfs receive", "zfs recv". */
  what: string;
  /** The datasets its (non-option) words name, in order. */
  datasets: string[];
  /** It works on what is below them too (syncoid -r, zfs send -R, zfs receive). */
  recursive: boolean;
}

/**
 * What hazardsOf reads of a scan, whatever the dataset: made once per scan,
 * as a refresh asks about every Dataset of a host against one scan (at 1000
 * mounted datasets, rebuilding it for each was 1.7 s of the provider's time).
 * A scan is never changed once parsed.
 */
interface ScanIndex {
  /** The host's own mounts of datasets, in mountinfo's order. */
  hostMounts: DatasetMount[];
  /** The same sorted by name, each with its place in hostMounts. */
  hostDatasets: { name: string; at: number }[];
  /** A dataset's places in hostMounts (mounted twice: two). */
  selfAt: Map<string, number[]>;
  hostPeers: Set<string>;
  /** Dataset to its host mount point. */
  hostPath: Map<string, string>;
  proc: Map<number, string>;
  pveByContainer: Map<string, Entry[]>;
  /** Proxmox containers with a live namespace (their mounts count, not their config). */
  running: Set<string>;
  /** The namespaces other than the host's, each with the only mounts of it that may hold a dataset: ZFS ones of its own. */
  namespaces: { ns: Namespace; container?: string; byId: Map<number, Mount>; own: Mount[] }[];
  replicators: Replicator[];
  /** `sshd: USER@notty` sessions. */
  sessions: { process: Process; user: string }[];
}

const indexes = new WeakMap<Scan, ScanIndex>();

function indexOf(scan: Scan): ScanIndex {
  let index = indexes.get(scan);
  if (index) return index;
  const hostZfs = scan.hostMounts.filter((m) => m.fstype === "zfs" && m.root === "/");
  const hostPeers = peerGroups(scan.hostMounts);
  const namespaces = scan.namespaces
    .filter((ns) => ns.inode !== scan.hostNs)
    .map((ns) => ({
      ns,
      container: containerOf(ns.cgroup),
      byId: new Map(ns.mounts.map((m) => [m.id, m])),
      own: ns.mounts.filter((m) => m.fstype === "zfs" && !followsHost(m, hostPeers)),
    }));
  const replicators: Replicator[] = [];
  const sessions: { process: Process; user: string }[] = [];
  for (const p of scan.ps) {
    const words = p.args.split(/\s+/);
    const syncoid = words.findIndex((w) => /(^|\/)syncoid$/.test(w));
    const zfs = words.findIndex((w, i) => /(^|\/)zfs$/.test(w) && ["send", "receive", "recv"].includes(words[i + 1]));
    const named = (rest: string[]) => rest.filter((w) => !w.startsWith("-")).map(datasetWord).filter((w) => w !== "");
    if (syncoid >= 0) {
      const rest = words.slice(syncoid + 1);
      replicators.push({ process: p, what: "syncoid", datasets: named(rest), recursive: rest.some((w) => w === "-r" || w === "--recursive") });
    } else if (zfs >= 0) {
      const rest = words.slice(zfs + 2);
      replicators.push({ process: p, what: `zfs ${words[zfs + 1]}`, datasets: named(rest), recursive: words[zfs + 1] !== "send" || rest.some((w) => /^-[A-Za-z]*R/.test(w)) });
    }
    const session = p.args.match(/^sshd: ([^\s@]+)@notty$/);
    if (session) sessions.push({ process: p, user: session[1] });
  }
  const hostMounts = hostZfs.map((m) => ({ name: m.source, path: m.mountPoint, dev: m.dev }));
  const selfAt = new Map<string, number[]>();
  hostMounts.forEach((m, at) => selfAt.set(m.name, [...(selfAt.get(m.name) ?? []), at]));
  index = {
    hostMounts,
    hostDatasets: hostMounts.map((m, at) => ({ name: m.name, at })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    selfAt,
    hostPeers,
    hostPath: new Map(hostZfs.map((m) => [m.source, m.mountPoint])),
    proc: new Map(scan.ps.map((p) => [p.pid, p.args])),
    pveByContainer: pveEntries(scan),
    running: new Set(scan.namespaces.map((n) => containerOf(n.cgroup)).filter((c) => c?.startsWith("lxc ")).map((c) => ackId(c!))),
    namespaces,
    replicators,
    sessions,
  };
  indexes.set(scan, index);
  return index;
}

/** Host peer groups: a namespace's mount shared with one of them propagates like the host's own. */
const peerGroups = (mounts: readonly Mount[]) => new Set(mounts.flatMap((m) => m.optional.filter((o) => o.startsWith("shared:"))));

/** A mount that is the host's own, seen from a namespace: a slave copy, or a peer of a host mount. */
function followsHost(m: Mount, hostPeers: Set<string>): boolean {
  return m.optional.some((o) => o.startsWith("master:") || (o.startsWith("shared:") && hostPeers.has(o)));
}

function bindHazards(index: ScanIndex, dataset: string, mine: DatasetMount[]): Hazard[] {
  const out: Hazard[] = [];
  const { hostPath, proc, pveByContainer } = index;
  for (const { ns, container, byId, own } of index.namespaces) {
    /** The host path a namespace mount's root is, when it is a ZFS mount the host has mounted. */
    const rootOnHost = (m: Mount) => {
      const base = m.fstype === "zfs" ? hostPath.get(m.source) : undefined;
      return base === undefined ? undefined : m.root === "/" ? base : joinPath(base, m.root.slice(1));
    };
    const seen = new Set<string>();
    for (const m of own) {
      let why: string | undefined;
      let inside = m.mountPoint;
      if (isSelfOrBelow(m.source, dataset)) {
        const copy = m.root === "/" && hostPath.get(m.source) === m.mountPoint;
        why = copy
          ? `holds ${m.source} mounted at ${m.mountPoint} (a private copy of the host's mount: the dataset stays busy there and the move does not reach it)`
          : `holds ${m.source}${m.root === "/" ? "" : ` (its ${m.root})`} bound at ${m.mountPoint}`;
      } else {
        const parent = byId.get(m.parent);
        const parentRoot = parent && rootOnHost(parent);
        const under = parentRoot !== undefined && within(m.mountPoint, parent!.mountPoint) ? joinPath(parentRoot, relative(m.mountPoint, parent!.mountPoint)) : undefined;
        const stackedOn = under !== undefined ? mine.find((d) => within(under, d.path)) : undefined;
        if (stackedOn) {
          why = `has ${m.source} mounted at ${m.mountPoint}, on the directory ${under} of ${parent!.source} that is ${stackedOn.name}'s mountpoint: ZFS removes that directory when it moves ${stackedOn.name}, and the mount disappears from the namespace`;
        } else {
          const root = rootOnHost(m);
          // A private copy of a parent's host mount: its children are copies of their own (case a).
          const copyOfHost = m.root === "/" && root === m.mountPoint;
          const seenThrough = root !== undefined && !copyOfHost ? mine.find((d) => d.path !== root && within(d.path, root)) : undefined;
          if (seenThrough) {
            inside = joinPath(m.mountPoint, relative(seenThrough.path, root!));
            why = `binds ${m.source}${m.root === "/" ? "" : ` (its ${m.root})`} at ${m.mountPoint}, through which it sees ${seenThrough.name}'s mountpoint at ${inside}: that path vanishes inside when ${seenThrough.name} moves`;
          }
        }
      }
      if (!why || seen.has(`${inside} ${why}`)) continue;
      seen.add(`${inside} ${why}`);
      const processArgs = proc.get(ns.pid) ?? "";
      const who = container ? `${container} (process ${ns.pid}${processArgs ? `: ${processArgs}` : ""})` : `process ${ns.pid}${processArgs ? ` (${processArgs})` : ""}`;
      const entries = container?.startsWith("lxc ") ? pveByContainer.get(ackId(container)) ?? [] : [];
      const entry = entries.find((e) => e.inside === m.mountPoint);
      const acks = [...(container ? [`bindMount:${ackId(container)}`] : []), `bindMount:${inside}`];
      out.push({
        kind: "bindMount",
        dataset,
        pid: ns.pid,
        process: processArgs,
        container,
        pathInside: inside,
        acks,
        message:
          `${dataset}: ${who}, in its own mount namespace, ${why}. ${remedy(container, ns.pid)}${entry ? ` (${entry.file}: ${entry.line})` : ""} ` +
          `before the move, or acknowledge it with acknowledgeHazards: ["${acks[0]}"]`,
      });
    }
  }
  return out;
}

interface Entry {
  container: string;
  file: string;
  line: string;
  /** The host path it binds, or the dataset of a storage volume. */
  host?: string;
  dataset?: string;
  inside: string;
}

/** Proxmox `zfspool:` storages and their pool paths. */
function zfsStorages(cfg: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of cfg.split("\n")) {
    const head = line.match(/^(\S+):\s*(\S+)/);
    if (head) current = head[1] === "zfspool" ? head[2] : undefined;
    const pool = line.match(/^\s+pool\s+(\S+)/);
    if (current && pool) out.set(current, pool[1]);
  }
  return out;
}

/** Every container mount entry (Proxmox and plain LXC), by container id. */
function pveEntries(scan: Scan): Map<string, Entry[]> {
  const storages = zfsStorages(scan.pveStorage);
  const out = new Map<string, Entry[]>();
  const add = (e: Entry) => out.set(e.container, [...(out.get(e.container) ?? []), e]);
  for (const raw of scan.pve) {
    const m = raw.match(/^\/etc\/pve\/lxc\/([^/]+)\.conf:((rootfs|mp\d+):\s*(.*))$/);
    if (!m) continue;
    const [volume, ...opts] = m[4].split(",");
    const inside = m[3] === "rootfs" ? "/" : (opts.find((o) => o.startsWith("mp="))?.slice(3) ?? "");
    const base = { container: m[1], file: `/etc/pve/lxc/${m[1]}.conf`, line: m[2], inside };
    if (volume.startsWith("/")) add({ ...base, host: volume });
    else {
      const [storage, vol] = volume.split(":");
      const pool = storages.get(storage);
      if (pool && vol) add({ ...base, dataset: `${pool}/${vol}` });
    }
  }
  for (const raw of scan.lxc) {
    const m = raw.match(/^\/var\/lib\/lxc\/([^/]+)\/config:(lxc\.mount\.entry\s*=\s*(\S+)\s+(\S+).*)$/);
    if (m) add({ container: m[1], file: `/var/lib/lxc/${m[1]}/config`, line: m[2], host: m[3], inside: `/${m[4].replace(/^\//, "")}` });
  }
  return out;
}

function configuredHazards(index: ScanIndex, dataset: string, mine: DatasetMount[]): Hazard[] {
  const out: Hazard[] = [];
  for (const [id, entries] of index.pveByContainer) {
    if (index.running.has(id)) continue; // its live mounts are what counts (bindMount)
    for (const e of entries) {
      let why: string | undefined;
      if (e.dataset !== undefined && isSelfOrBelow(e.dataset, dataset)) why = `mounts ${e.dataset} at ${e.inside}`;
      const into = e.host !== undefined ? mine.find((d) => within(e.host!, d.path)) : undefined;
      const through = e.host !== undefined ? mine.find((d) => d.path !== e.host && within(d.path, e.host!)) : undefined;
      if (into) why = `binds ${e.host}, in ${into.name}, at ${e.inside}`;
      else if (through) why = `binds ${e.host} at ${e.inside}, through which it sees ${through.name}'s mountpoint at ${joinPath(e.inside, relative(through.path, e.host!))}`;
      if (!why) continue;
      const acks = [`configuredContainer:${id}`];
      out.push({
        kind: "configuredContainer",
        dataset,
        container: `lxc ${id}`,
        pathInside: e.inside,
        acks,
        message:
          `${dataset}: container ${id} (stopped) ${why} (${e.file}: ${e.line}); once moved it would start pointing at nothing. ` +
          `Change its mount entry, or acknowledge it with acknowledgeHazards: ["${acks[0]}"]`,
      });
    }
  }
  return out;
}

/** The dataset a word of a command line names: `user@host:pool/x@snap` -> `pool/x`. */
const datasetWord = (w: string) => w.replace(/^['"]|['"]$/g, "").replace(/^[^\s/:]*:/, "").replace(/[@#].*$/, "");

/** Users who may send `dataset` (on it, or from an ancestor's descendent grants), from its `zfs allow`. */
export function sendersOf(allowOutput: string, dataset: string): string[] {
  const blocks = [...allowOutput.matchAll(/^---- Permissions on (\S+) -*$/gm)].map((m) => m[1]);
  const users = new Set<string>();
  for (const on of blocks) {
    const block = parseAllow(allowOutput, on);
    const expand = (perms: string[]) => perms.flatMap((p) => (p.startsWith("@") ? (block.sets[p] ?? []) : [p]));
    for (const [who, g] of Object.entries(block.grants)) {
      if (!who.startsWith("user ")) continue; // groups and everyone: not told apart by a session's user name
      const perms = expand(on === dataset ? g.local : g.descendent);
      if (perms.includes("send")) users.add(who.slice(5));
    }
  }
  return [...users].sort();
}

function replicationHazards(scan: Scan, index: ScanIndex, dataset: string): Hazard[] {
  const out: Hazard[] = [];
  for (const r of index.replicators) {
    const hit = r.datasets.find((w) => isSelfOrBelow(w, dataset) || (r.recursive && dataset.startsWith(`${w}/`)));
    if (!hit) continue;
    const p = r.process;
    out.push({ kind: "replication", dataset, pid: p.pid, process: p.args, acks: [], message: `${dataset}: ${r.what} works on ${hit} (process ${p.pid}: ${p.args})` });
  }
  if (index.sessions.length === 0) return out;
  const senders = new Set(sendersOf(scan.allow[dataset] ?? "", dataset));
  for (const { process: p, user } of index.sessions) {
    if (!senders.has(user)) continue;
    out.push({
      kind: "replication",
      dataset,
      pid: p.pid,
      process: p.args,
      acks: [],
      message: `${dataset}: an ssh session of ${user}, who may send it (zfs allow), is open (process ${p.pid}): a replication pulling it may be between two sends`,
    });
  }
  return out;
}

function nfsHazards(scan: Scan, dataset: string, mine: DatasetMount[]): Hazard[] {
  const devs = new Map(mine.map((d) => [d.dev, d]));
  const exported = mine.filter((d) => scan.etab.some((l) => l.split("\t")[0] === d.path));
  const out: Hazard[] = [];
  for (const c of scan.nfsClients) {
    const open = c.devices.map((d) => devs.get(d)).filter((d): d is DatasetMount => d !== undefined);
    const who = `NFS client ${c.address}${c.name ? ` (${c.name})` : ""}`;
    if (open.length > 0) {
      out.push({ kind: "nfsClient", dataset, acks: [], message: `${dataset}: ${who} has files of ${[...new Set(open.map((d) => d.path))].join(", ")} open; while it does, ZFS cannot unmount it (the move fails busy, nothing changed), and it loses them when the export moves or stops` });
    } else if (exported.length > 0) {
      out.push({ kind: "nfsClient", dataset, acks: [], message: `${dataset}: ${who} is connected while ${exported.map((d) => d.path).join(", ")} is exported; it may have it mounted` });
    }
  }
  for (const l of scan.rmtab) {
    const [client, path] = l.split(":");
    const d = mine.find((x) => path !== undefined && within(path, x.path));
    if (d) out.push({ kind: "nfsClient", dataset, acks: [], message: `${dataset}: NFSv3 client ${client} has mounted ${path}` });
  }
  return out;
}

/** Every hazard a move or removal of `dataset` (with its descendants) meets, as the scan saw the host. */
export function hazardsOf(scan: Scan, dataset: string): Hazard[] {
  const index = indexOf(scan);
  const mine = hostMountsOf(index, dataset);
  return [...bindHazards(index, dataset, mine), ...configuredHazards(index, dataset, mine), ...replicationHazards(scan, index, dataset), ...nfsHazards(scan, dataset, mine)];
}

/** A hazard is acknowledged when the program lists one of its acks. */
export const acknowledged = (h: Hazard, acks: readonly string[]) => h.acks.some((a) => acks.includes(a));
