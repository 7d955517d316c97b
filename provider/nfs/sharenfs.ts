// The sharenfs property as data (OpenZFS on Linux, lib/libshare/os/linux/nfs.c):
// clients with their access, export options, rendered as
// `rw=@10.0.0.2/32,ro=@10.0.0.0/28,no_root_squash`; and the exports that
// OpenZFS writes (/etc/exports.d/zfs.exports) and that the server serves
// (`exportfs -v`), parsed. Pure.
import { LIMITS, isDnsName, own, shown } from "../names";

export const ACCESS = ["rw", "ro"] as const;
export type Access = (typeof ACCESS)[number];

export interface Client {
  /** An IPv4 address, an IPv4 network in CIDR form, or a host name. */
  address: string;
  access: Access;
}

export interface Share {
  clients: Client[];
  /** exports(5) options other than rw/ro, e.g. no_root_squash, crossmnt. */
  options: string[];
  /** No client list: every host may mount (what sharenfs=on means). */
  everyone: boolean;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

const ipToInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);

/**
 * The widest client network a share may name without `allowEveryone`: a /16
 * (65,536 addresses) is the largest site network an operator plausibly means;
 * anything wider (10.0.0.0/8, 0.0.0.0/1, 0.0.0.0/0) covers every host or
 * nearly, which is sharing with everyone by another name.
 */
export const BROADEST_PREFIX = 16;

/** Why `address` is not a client sharenfs can name, or undefined; a network wider than /16 needs `allowEveryone`. */
export function addressProblem(address: string, allowEveryone = false): string | undefined {
  if (typeof address !== "string" || address === "") return "must be an IPv4 address, a CIDR network or a host name";
  if (address === "*" || address === "on") return "\"*\" means every host; leave clients empty and set allowEveryone: true to mean it";
  if (address.includes(":")) return `${shown(address)}: IPv6 cannot be written in sharenfs (':' separates hosts there); use IPv4 or a host name`;
  const cidr = address.match(/^([^/]+)\/(\d{1,2})$/);
  if (cidr) {
    if (!IPV4.test(cidr[1])) return `${shown(address)} is not a CIDR network (IPv4 address / prefix length)`;
    const bits = Number(cidr[2]);
    if (bits > 32) return `${shown(address)}: a prefix length is at most 32`;
    const hostBits = 32 - bits;
    const ip = ipToInt(cidr[1]);
    const network = Math.floor(ip / 2 ** hostBits) * 2 ** hostBits;
    if (ip !== network) {
      const n = [24, 16, 8, 0].map((s) => (Math.floor(network / 2 ** s) % 256).toString()).join(".");
      return `${shown(address)} has host bits set; did you mean ${n}/${bits}?`;
    }
    if (bits < BROADEST_PREFIX && !allowEveryone) {
      return (
        `${shown(address)} covers ${2 ** hostBits} addresses: every host or nearly (a network wider than /${BROADEST_PREFIX} is sharing with everyone by another name); ` +
        `set allowEveryone: true if that is what you mean`
      );
    }
    return undefined;
  }
  if (/^[\d.]+$/.test(address)) return IPV4.test(address) ? undefined : `${shown(address)} is not a valid IPv4 address`;
  if (!isDnsName(address)) {
    return `${shown(address)} is not an IPv4 address, a CIDR network or a host name (letters, digits, - and .)`;
  }
  return undefined;
}

/** exports(5) options a share may carry: null takes no value, a pattern is what the value must match. */
const OPTIONS: Record<string, RegExp | null> = {
  no_root_squash: null,
  root_squash: null,
  all_squash: null,
  no_all_squash: null,
  crossmnt: null,
  nohide: null,
  hide: null,
  sync: null,
  async: null,
  subtree_check: null,
  no_subtree_check: null,
  secure: null,
  insecure: null,
  wdelay: null,
  no_wdelay: null,
  secure_locks: null,
  insecure_locks: null,
  no_auth_nlm: null,
  auth_nlm: null,
  mountpoint: null,
  sec: /^(sys|krb5|krb5i|krb5p)(:(sys|krb5|krb5i|krb5p))*$/,
  anonuid: /^\d{1,10}$/,
  anongid: /^\d{1,10}$/,
  fsid: /^(\d{1,10}|root|[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12})$/i,
};

/** Options whose value is a number, bounded as a uid, gid or fsid (32 bits). */
const NUMBERED = new Set(["anonuid", "anongid", "fsid"]);

/** Why `option` cannot be an export option, or undefined. */
export function optionProblem(option: string): string | undefined {
  if (typeof option !== "string" || option === "") return "must be a non-empty export option";
  if (/[\s,()"'\\;#&|$`<>*]/.test(option)) {
    return `${shown(option)} contains a character that would inject another option or host (one option per entry, no , ( ) * spaces or quotes)`;
  }
  const [name, ...rest] = option.split("=");
  const value = rest.length ? rest.join("=") : undefined;
  if (name === "rw" || name === "ro") return `${shown(option)}: give access per client (clients: [{address, access: "${name}"}]), not as an option`;
  if (name === "on" || name === "off") return `${shown(option)} is a whole sharenfs value, not an option`;
  const rule = own(OPTIONS, name);
  if (rule === undefined) {
    return `${shown(name)} is not an export option this resource knows (e.g. no_root_squash, crossmnt, no_subtree_check, sync, sec=sys, anonuid=N)`;
  }
  if (rule === null && value !== undefined) return `${shown(name)} takes no value`;
  if (rule !== null && (value === undefined || !rule.test(value))) return `${shown(option)}: ${name} needs a value like ${name === "sec" ? "sys or krb5p" : name === "fsid" ? "a number, root or a UUID" : "a number"}`;
  if (NUMBERED.has(name) && /^\d+$/.test(value!) && Number(value) > LIMITS.id32) return `${shown(option)}: ${name} is at most ${LIMITS.id32} (32 bits)`;
  return undefined;
}

const asSharenfsHost = (address: string) => (address.includes("/") ? `@${address}` : address);

/** The sharenfs value for a share: `rw=@a/32,rw=@b/32,ro=c,opt,...` (the operators' form), or `on`. */
export function renderSharenfs(share: Share): string {
  if (share.everyone && share.clients.length === 0 && share.options.length === 0) return "on";
  const parts = [
    ...share.clients.filter((c) => c.access === "rw").map((c) => `rw=${asSharenfsHost(c.address)}`),
    ...share.clients.filter((c) => c.access === "ro").map((c) => `ro=${asSharenfsHost(c.address)}`),
    ...share.options,
  ];
  return parts.join(",");
}

/** Reads a sharenfs value back into a share; undefined for `off` (not shared by ZFS). */
export function parseSharenfs(value: string): Share | undefined {
  const v = value.trim();
  if (v === "off" || v === "" || v === "-") return undefined;
  if (v === "on") return { clients: [], options: [], everyone: true };
  const clients: Client[] = [];
  const options: string[] = [];
  for (const part of v.split(",")) {
    const m = part.match(/^(rw|ro)=(.*)$/);
    if (m) {
      for (const h of m[2].split(":").filter(Boolean)) clients.push({ address: h.replace(/^@/, ""), access: m[1] as Access });
    } else if (part) options.push(part);
  }
  return { clients, options, everyone: clients.length === 0 };
}

/** Order-insensitive identity of a client list (`10.0.0.2` is `10.0.0.2/32`). */
export const clientsKey = (clients: readonly Client[]): string[] => clients.map((c) => `${c.access}=${normalizeAddress(c.address)}`).sort();

/** Order-insensitive identity of a share, to compare what the host has with what the program wants. */
export function shareKey(share: Share | undefined): string {
  if (!share) return "off";
  return JSON.stringify({ clients: clientsKey(share.clients), options: [...share.options].sort(), everyone: share.everyone });
}

const normalizeAddress = (a: string) => (a.endsWith("/32") ? a.slice(0, -3) : a).toLowerCase();

// ---------------------------------------------------------------------------
// Exports

export interface ExportLine {
  path: string;
  /** As the file or exportfs names it: an address, network, host name, `*` or `<world>`. */
  client: string;
  options: string[];
}

/** Parses /etc/exports.d/zfs.exports (`path client(opts)` per line). */
export function parseExportsFile(text: string): ExportLine[] {
  const out: ExportLine[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^(\S+)\s+(.*)$/);
    if (!m) {
      out.push({ path: line, client: "*", options: [] });
      continue;
    }
    for (const entry of m[2].trim().split(/\s+/)) out.push(exportEntry(m[1], entry));
  }
  return out;
}

function exportEntry(path: string, entry: string): ExportLine {
  const m = entry.match(/^([^(]*)\((.*)\)$/);
  if (!m) return { path, client: entry, options: [] };
  return { path, client: m[1] || "*", options: m[2].split(",").filter(Boolean) };
}

/**
 * Parses `exportfs -v`: `path<TAB>client(opts)`, or the path alone on a
 * line and the client on the next, indented, when the path is long.
 */
export function parseExportfs(text: string): ExportLine[] {
  const out: ExportLine[] = [];
  let pending: string | undefined;
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    if (/^\s/.test(raw)) {
      if (pending === undefined) throw new Error(`exportfs -v: a client line without a path: ${JSON.stringify(raw)}`);
      out.push(exportEntry(pending, raw.trim()));
      pending = undefined;
      continue;
    }
    const m = raw.match(/^(\S+)\s+(\S.*)$/);
    if (m) {
      out.push(exportEntry(m[1], m[2].trim()));
      pending = undefined;
    } else {
      pending = raw.trim();
    }
  }
  return out;
}

export interface FilesystemRow {
  name: string;
  mountpoint: string;
  sharenfs: string;
  mounted: string;
}

/** Parses `zfs list -H -o name,mountpoint,sharenfs,mounted -t filesystem`. */
export function parseShareList(text: string): FilesystemRow[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, mountpoint, sharenfs, mounted] = line.split("\t");
      if (mounted === undefined) throw new Error(`unexpected zfs list line: ${JSON.stringify(line)}`);
      return { name, mountpoint, sharenfs, mounted };
    });
}

export interface ExportsCheck {
  /** Lines of zfs.exports for paths that no shared, mounted dataset has any more. */
  stale: ExportLine[];
  /** Shared, mounted datasets that zfs.exports does not list. */
  missing: string[];
}

/** Compares zfs.exports with what ZFS says is shared: what `zfs share -a` on 2.1 fails to clean up. */
export function checkExports(file: readonly ExportLine[], filesystems: readonly FilesystemRow[]): ExportsCheck {
  const shared = filesystems.filter((f) => f.sharenfs !== "off" && f.mounted === "yes" && f.mountpoint.startsWith("/"));
  const paths = new Set(shared.map((f) => f.mountpoint));
  const listed = new Set(file.map((l) => l.path));
  return {
    stale: file.filter((l) => !paths.has(l.path)),
    missing: shared.filter((f) => !listed.has(f.mountpoint)).map((f) => f.name),
  };
}
