// The properties a Dataset may manage, as data (after OpenZFS's zfs_prop.c),
// and how the program's values compare with what `zfs get -p` reports. Pure:
// check rejects bad values with these before any remote command could run.
import { LIMITS, own, shown } from "../names";

const onOff = ["on", "off"] as const;
const SUFFIX = "KMGTPE";

/**
 * Bytes of a size as zfs reads it (`10G`, `1.5T`, `512`), or undefined when
 * it is not one; exact (BigInt), since 16E is past what a double holds.
 */
export function sizeBytes(value: string): bigint | undefined {
  const m = value.match(/^(\d{1,20})(?:\.(\d{1,20}))?([KMGTPE]?)B?$/i);
  if (!m) return undefined;
  const unit = 1024n ** BigInt(m[3] ? SUFFIX.indexOf(m[3].toUpperCase()) + 1 : 0);
  const frac = m[2] ?? "";
  const scale = 10n ** BigInt(frac.length);
  return (BigInt(m[1]) * scale + BigInt(frac || "0")) * unit / scale;
}

/** A size below ZFS's 64-bit bound (so at most 16E less one byte), or none. */
const SIZE = (v: string) => v.toLowerCase() === "none" || (sizeBytes(v) ?? LIMITS.sizeBytes) < LIMITS.sizeBytes;
const POW2 = ([min, max]: readonly [number, number]) => (v: string) => {
  const n = sizeBytes(v);
  return n !== undefined && n >= BigInt(min) && n <= BigInt(max) && (n & (n - 1n)) === 0n;
};

type Rule = readonly string[] | RegExp | ((value: string) => boolean);

/** Native properties a Dataset may set, with the values each can take. */
export const NATIVE_PROPERTIES: Record<string, { rule: Rule; hint: string }> = {
  atime: { rule: onOff, hint: "on or off" },
  relatime: { rule: onOff, hint: "on or off" },
  readonly: { rule: onOff, hint: "on or off" },
  exec: { rule: onOff, hint: "on or off" },
  setuid: { rule: onOff, hint: "on or off" },
  devices: { rule: onOff, hint: "on or off" },
  overlay: { rule: onOff, hint: "on or off" },
  canmount: { rule: ["on", "off", "noauto"], hint: "on, off or noauto" },
  compression: {
    rule: /^(on|off|lzjb|gzip|gzip-[1-9]|zle|lz4|zstd|zstd-([1-9]|1[0-9])|zstd-fast|zstd-fast-([1-9]|[1-9]0|100|500|1000))$/,
    hint: "on, off, lz4, zstd, zstd-N, gzip, gzip-N, zle or lzjb",
  },
  checksum: { rule: ["on", "off", "fletcher2", "fletcher4", "sha256", "sha512", "skein", "edonr", "blake3", "noparity"], hint: "on, off or a checksum algorithm" },
  dedup: { rule: /^(on|off|verify|sha256(,verify)?|sha512(,verify)?|skein(,verify)?|edonr,verify|blake3(,verify)?)$/, hint: "on, off, verify or an algorithm" },
  copies: { rule: ["1", "2", "3"], hint: "1, 2 or 3" },
  recordsize: { rule: POW2(LIMITS.recordsize), hint: "a power of two from 512 to 16M (e.g. 128K)" },
  quota: { rule: SIZE, hint: "a size below 16E (e.g. 10G) or none" },
  refquota: { rule: SIZE, hint: "a size below 16E (e.g. 10G) or none" },
  reservation: { rule: SIZE, hint: "a size below 16E (e.g. 10G) or none" },
  // `auto` is for volumes, and reads back as a number that could never match.
  refreservation: { rule: SIZE, hint: "a size below 16E (e.g. 10G) or none" },
  mountpoint: { rule: /^(none|legacy|\/[A-Za-z0-9_.:@+\/-]*)$/, hint: "an absolute path, none or legacy" },
  snapdir: { rule: ["hidden", "visible"], hint: "hidden or visible" },
  xattr: { rule: ["on", "off", "sa", "dir"], hint: "on, off, sa or dir" },
  acltype: { rule: ["off", "noacl", "nfsv4", "posix", "posixacl"], hint: "off, nfsv4 or posix" },
  aclinherit: { rule: ["discard", "noallow", "restricted", "passthrough", "passthrough-x"], hint: "an aclinherit mode" },
  aclmode: { rule: ["discard", "groupmask", "passthrough", "restricted"], hint: "an aclmode" },
  logbias: { rule: ["latency", "throughput"], hint: "latency or throughput" },
  primarycache: { rule: ["all", "none", "metadata"], hint: "all, none or metadata" },
  secondarycache: { rule: ["all", "none", "metadata"], hint: "all, none or metadata" },
  sync: { rule: ["standard", "always", "disabled"], hint: "standard, always or disabled" },
  dnodesize: { rule: ["legacy", "auto", "1k", "2k", "4k", "8k", "16k"], hint: "legacy, auto or 1k..16k" },
  redundant_metadata: { rule: ["all", "most", "some", "none"], hint: "all, most, some or none" },
  special_small_blocks: { rule: (v) => v === "0" || POW2(LIMITS.specialSmallBlocks)(v), hint: "0 or a power of two from 512 to 1M" },
  // Only off (to stop inheriting a share): SMB sharing has no resource to check
  // who may connect, as NfsShare does for NFS, so a Dataset cannot turn it on.
  sharesmb: { rule: ["off"], hint: "off: sharing over SMB is not managed here (no resource checks its clients); share over NFS with NfsShare" },
};

/** Properties another resource owns, or that cannot be set at all. */
const NOT_HERE: Record<string, string> = {
  sharenfs: "is managed by the NfsShare resource (exports must be kept in step with it)",
  name: "is the Dataset's `name` input, not a property",
  guid: "is read-only",
  type: "is read-only",
  creation: "is read-only",
  used: "is read-only",
  available: "is read-only",
  referenced: "is read-only",
  compressratio: "is read-only",
  mounted: "is read-only",
  origin: "is read-only",
  encryption: "can only be chosen when the dataset is created, which this resource does not support yet",
  casesensitivity: "can only be chosen when the dataset is created, which this resource does not support yet",
  normalization: "can only be chosen when the dataset is created, which this resource does not support yet",
  utf8only: "can only be chosen when the dataset is created, which this resource does not support yet",
  volsize: "applies to volumes; a Dataset is a filesystem",
};

/** Properties `zfs get -p` reports in bytes, and `none` as 0. */
const SIZE_PROPERTIES = new Set(["quota", "refquota", "reservation", "refreservation", "recordsize", "special_small_blocks"]);

/** Old spellings ZFS accepts and reports under their current name. */
const ALIASES: Record<string, Record<string, string>> = {
  acltype: { posixacl: "posix", noacl: "off" },
};

/**
 * The form `zfs get -Hp` reports a value in, so that the program's `10G` and
 * the host's `10737418240` compare equal (otherwise every preview would show
 * a change that is not one).
 */
export function canonicalValue(key: string, value: string): string {
  if (SIZE_PROPERTIES.has(key)) {
    if (value.toLowerCase() === "none") return "0";
    return sizeBytes(value)?.toString() ?? value;
  }
  const aliases = own(ALIASES, key);
  return (aliases && own(aliases, value)) ?? value;
}

/** True when the program's value and the host's value mean the same setting. */
export const sameValue = (key: string, wanted: string, actual: string): boolean =>
  wanted === actual || canonicalValue(key, wanted) === canonicalValue(key, actual);

const USER_PROPERTY = /^[a-z0-9_.-]+:[a-z0-9_.:-]+$/;

/** Why `key=value` cannot be managed, or undefined when it can. */
export function propertyProblem(key: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a string (got ${typeof value})`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return "must not contain control characters or newlines";
  if (key.includes(":")) {
    if (!USER_PROPERTY.test(key)) return "is not a valid user property name (lowercase module:name, e.g. syncoid:sync)";
    if (key.length > 256) return "is longer than 256 characters";
    if (value.length > 8191) return "has a value longer than 8191 characters";
    return undefined;
  }
  const elsewhere = own(NOT_HERE, key);
  if (elsewhere) return elsewhere;
  const prop = own(NATIVE_PROPERTIES, key);
  if (!prop) return "is not a ZFS property this resource manages (user properties need a ':' as in syncoid:sync)";
  const { rule, hint } = prop;
  const ok = Array.isArray(rule) ? rule.includes(value) : rule instanceof RegExp ? rule.test(value) : (rule as (v: string) => boolean)(value);
  return ok ? undefined : `cannot be ${shown(value)}: expected ${hint}`;
}

/** True when two sets of managed properties mean the same settings (`10G` is the host's `10737418240`). */
export function sameProperties(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k] || (a[k] !== undefined && b[k] !== undefined && sameValue(k, b[k], a[k])));
}
