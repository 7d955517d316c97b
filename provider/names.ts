// The domain's names, one home for their rules (after zrepl's namecheck.go
// and OpenZFS's zfs_namecheck.c): dataset and pool names, Unix user and group
// names, the stack's host names and DNS host names. Every kind that takes one
// of these applies the rule from here, and test/unit/names.test.ts holds the
// table of good and bad names they all answer the same way.
//
// A rule returns why a value is refused as a phrase about it ("must not be
// empty", "contains '$'; ..."), or undefined when it is fine; the caller names
// the field and, with `named`, the value.
//
// Pure and import-free: tools/verify-lab.ts runs the syncoid line parser,
// which uses these rules, under Node's type stripping.

/** ZFS's limits and reserved words, as data. */
export const ZFS_NAMES = {
  /** ZFS_MAX_DATASET_NAME_LEN - 1. */
  maxLength: 255,
  /** zfs_max_dataset_nesting: a name may nest fewer levels below its pool. */
  maxDepth: 50,
  /** The characters of one component (zfs_namecheck.c valid_char). */
  component: /^[A-Za-z0-9_.:-]+$/,
  /** Words zpool reserves for vdev types: no pool has these names. */
  reservedPools: ["mirror", "raidz", "raidz1", "raidz2", "raidz3", "draid", "spare", "log", "cache", "special", "dedup"] as readonly string[],
};

/** A pool name: a letter, then the characters of a component. */
export const POOL_NAME = /^[A-Za-z][A-Za-z0-9_.:-]*$/;

/** Why `pool` is not a pool name, or undefined. */
export function poolNameProblem(pool: string): string | undefined {
  if (!/^[A-Za-z]/.test(pool)) return `is not a ZFS dataset name: its pool name '${escaped(pool)}' must start with a letter`;
  if (ZFS_NAMES.reservedPools.includes(pool)) return `is not a ZFS dataset name: it uses the reserved word '${pool}' as its pool name`;
  if (!POOL_NAME.test(pool)) return `is not a ZFS dataset name: its pool name '${escaped(pool)}' has a character ZFS does not allow`;
  return undefined;
}

export interface DatasetNameRule {
  /** A pool's root dataset (`rpool`) is accepted: grants, policies, pulls and shares often sit on one. */
  poolRoot?: boolean;
}

/**
 * Why `name` is not the name of a filesystem we manage, or undefined. Stricter
 * than ZFS in one way: white space, which ZFS allows, is refused because
 * syncoid-args.conf lines split on it.
 */
export function datasetNameProblem(name: unknown, rule: DatasetNameRule = {}): string | undefined {
  if (typeof name !== "string") return "must be a dataset name (a string)";
  if (name.length === 0) return "must not be empty";
  if (name.length > ZFS_NAMES.maxLength) return `is ${name.length} characters long; ZFS allows at most ${ZFS_NAMES.maxLength}`;
  if (/\s/.test(name)) return "must not contain white space (ZFS allows spaces, but syncoid-args.conf lines split on them)";
  if (name.includes("@") || name.includes("#")) return "names a snapshot or bookmark, not a filesystem";
  if (name.includes("%")) return "must not contain '%' (reserved by ZFS for temporary clones)";
  const bad = name.match(/[^A-Za-z0-9_.:/-]/);
  if (bad) return `contains '${escaped(bad[0])}'; ZFS names use only letters, digits and _ . : - with / between components`;
  const parts = name.split("/");
  if (parts.length === 1 && !rule.poolRoot) return "is a pool's root dataset, which comes with its pool and cannot be created or renamed";
  if (parts.length > ZFS_NAMES.maxDepth) return `nests ${ZFS_NAMES.maxDepth} levels or more; ZFS allows fewer`;
  for (const part of parts) {
    if (part === "") return "is not a ZFS dataset name: it has an empty component (a leading, trailing or doubled /)";
    if (part === "." || part === "..") return `is not a ZFS dataset name: it has a '${part}' component`;
    if (!ZFS_NAMES.component.test(part)) return `is not a ZFS dataset name: it has an invalid component '${escaped(part)}'`;
  }
  return poolNameProblem(parts[0]);
}

export const poolOf = (name: string): string => name.split("/")[0];

/** A Unix user or group name as Debian's adduser accepts it (NAME_REGEX), at most 32 characters. */
export const UNIX_NAME = /^(?=.{1,32}$)[a-z_][a-z0-9_-]*\$?$/;

/** Why `name` is not a Unix user (or group) name, or undefined. */
export function unixNameProblem(name: unknown, of: "user" | "group" = "user"): string | undefined {
  if (typeof name === "string" && UNIX_NAME.test(name)) return undefined;
  return `is not a Unix ${of} name (lowercase letters, digits, _ and -, at most 32 characters)`;
}

/** A host of the stack: a key of `zfs-fleet:hosts` (off1, ovh3), one DNS label in lowercase. */
export const HOST_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Why `host` cannot name a host of the stack: not a host name, or not in `zfs-fleet:hosts` (when that is known). */
export function hostNameProblem(host: unknown, configuredHosts: readonly string[] = []): string | undefined {
  if (typeof host !== "string" || !HOST_NAME.test(host)) return `${shown(host)} is not a host name (lowercase letters, digits and -)`;
  if (configuredHosts.length > 0 && !configuredHosts.includes(host)) {
    return `"${host}" is not in the stack's zfs-fleet:hosts (known: ${configuredHosts.join(", ")})`;
  }
  return undefined;
}

/** A DNS host name (RFC 1123): labels of letters, digits and -, joined by dots, at most 253 characters. */
export const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const isDnsName = (name: string): boolean => DNS_NAME.test(name);

/** How the stack's config may give a host's address (`zfs-fleet:hosts.<host>.address`): a DNS name or an IP address. */
export const HOST_ADDRESS = /^[A-Za-z0-9.:-]+$/;

/** An absolute path of plain characters (components of letters, digits and _ . @ + -). */
export const ABSOLUTE_PATH = /^\/[A-Za-z0-9_.@+\/-]+$/;

/** Why `path` is not a plain absolute path (no empty, `.` or `..` component), or undefined. */
export function absolutePathProblem(path: unknown): string | undefined {
  if (typeof path !== "string" || !ABSOLUTE_PATH.test(path)) return "is not an absolute path of plain characters (letters, digits, _ . @ + - and /)";
  if (path.length > LIMITS.pathMax) return `is longer than ${LIMITS.pathMax} characters`;
  const parts = path.slice(1).split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return "has an empty, '.' or '..' component";
  return undefined;
}

/** Where sanoid.conf and syncoid-args.conf may live: a file directly in /etc/sanoid/. */
export const CONFIG_DIR = "/etc/sanoid/";

/** Why `path` cannot be one of a host's sanoid or syncoid config files, or undefined. */
export function configFileProblem(path: unknown): string | undefined {
  const problem = absolutePathProblem(path);
  if (problem) return problem;
  const p = path as string;
  if (!p.startsWith(CONFIG_DIR) || p.slice(CONFIG_DIR.length).includes("/")) return `must be a file directly in ${CONFIG_DIR}`;
  return undefined;
}

// ---------------------------------------------------------------------------
// Bounds, as the tools themselves bound them (one home: schemas and rules take them from here).

export const LIMITS = {
  /** zfs_nicestrtonum: a size must fit in 64 bits, so 16E (2^64 bytes) is already too large. */
  sizeBytes: 2n ** 64n,
  /** zfs(8) recordsize: a power of two from 512 to 16M (with large_blocks). */
  recordsize: [512, 16 << 20] as const,
  /** zfsprops(7), OpenZFS 2.1/2.2 special_small_blocks: 0, or a power of two from 512 to 1M. */
  specialSmallBlocks: [512, 1 << 20] as const,
  /** TCP ports (ssh_config(5) Port, syncoid --sshport). */
  port: [1, 65535] as const,
  /** uid_t/gid_t and exports(5) anonuid, anongid and fsid numbers: 32 bits. */
  id32: 2 ** 32 - 1,
  /** Seconds an ssh timing option may say (ConnectTimeout, ServerAliveInterval): a day is already absurd. */
  sshSeconds: 86_400,
  /** PATH_MAX. */
  pathMax: 4095,
  /** Characters of a syncoid --exclude pattern. */
  excludeMax: 256,
};

// ---------------------------------------------------------------------------
// Characters

/** C0 and C1 control characters, DEL and the Unicode line separators: never in a value that reaches a file or a command line. */
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Characters shown escaped in messages: the controls, and those that hide or reorder text (bidi controls, zero-width). */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `value` as JSON shows a string, with every control or invisible character escaped (`\u0000`, not a blank). */
export function shown(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The inside of `shown`: for a character or word quoted some other way ('$'). */
export const escaped = (value: string): string => shown(value).slice(1, -1);

/** Why `value` cannot reach a file or a command line (a control character), or undefined. */
export function controlProblem(value: string): string | undefined {
  const c = value.match(CONTROL);
  return c ? `contains a control character (${escaped(c[0])}), which must not reach a file or a command line` : undefined;
}

/**
 * A table's own entry for `key`: never one of Object.prototype's
 * (`constructor`, `toString`, `__proto__`), which a bare `table[key]` or
 * `key in table` would find.
 */
export const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;

/** `"<value>" <problem>`: a refused value named in its failure, or undefined when there is no problem. */
export const named = (value: unknown, problem: string | undefined): string | undefined =>
  problem === undefined ? undefined : `${shown(value)} ${problem}`;
