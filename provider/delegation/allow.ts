// `zfs allow` as data: the permission names OpenZFS knows, the output of
// `zfs allow <dataset>` parsed, and the grants and revocations that take a
// dataset from what it has to what the program wants. Pure.
import { unixNameProblem } from "../names";
import { sh, type ShellCommand } from "../transport/sh";

/** Subcommands and other permissions (zfs-allow(8), OpenZFS 2.1). */
const SUBCOMMANDS = [
  "allow", "bookmark", "clone", "create", "destroy", "diff", "hold", "load-key", "change-key", "mount",
  "promote", "receive", "release", "rename", "rollback", "send", "share", "snapshot",
] as const;
const OTHER = [
  "groupquota", "groupobjquota", "groupused", "groupobjused", "projectid", "projectquota", "projectobjquota",
  "projectused", "projectobjused", "userprop", "userquota", "userobjquota", "userused", "userobjused",
] as const;
/** Native properties that may be delegated (settable ones). */
const PROPERTIES = [
  "aclinherit", "aclmode", "acltype", "atime", "canmount", "casesensitivity", "checksum", "compression", "context",
  "copies", "dedup", "defcontext", "devices", "dnodesize", "encryption", "exec", "filesystem_limit", "fscontext",
  "keyformat", "keylocation", "logbias", "mlslabel", "mountpoint", "nbmand", "normalization", "overlay",
  "pbkdf2iters", "primarycache", "quota", "readonly", "recordsize", "redundant_metadata", "refquota",
  "refreservation", "relatime", "reservation", "rootcontext", "secondarycache", "setuid", "sharenfs", "sharesmb",
  "snapdev", "snapdir", "snapshot_limit", "special_small_blocks", "sync", "utf8only", "version", "volblocksize",
  "volmode", "volsize", "vscan", "xattr", "zoned",
] as const;

export const PERMISSIONS: ReadonlySet<string> = new Set([...SUBCOMMANDS, ...OTHER, ...PROPERTIES]);

/** Permissions Linux cannot delegate: the kernel lets only root mount, so these do nothing for a user. */
export const NOT_ON_LINUX: Record<string, string> = {
  mount: "Linux lets only root mount file systems, so a delegated mount has no effect",
  unmount: "Linux lets only root unmount file systems (and unmount is not a zfs allow permission either)",
  mountpoint: "setting mountpoint remounts the dataset, which only root may do on Linux",
  canmount: "canmount changes mounting, which only root may do on Linux",
  rename: "rename unmounts and remounts the dataset, which only root may do on Linux",
  share: "sharing (NFS/SMB) is done by root on Linux; manage it with the NfsShare resource",
};

const SET_NAME = /^@[a-z0-9_.:-]{1,63}$/i;

/** Why `perm` cannot be delegated, or undefined when it can. */
export function permissionProblem(perm: string): string | undefined {
  if (typeof perm !== "string" || perm === "") return "must be a non-empty permission name";
  if (perm.startsWith("@")) {
    return SET_NAME.test(perm) ? undefined : `"${perm}" is not a permission set name (@ then letters, digits, _ . : -, at most 64 characters)`;
  }
  if (Object.hasOwn(NOT_ON_LINUX, perm)) return `"${perm}" cannot be delegated on Linux: ${NOT_ON_LINUX[perm]}`;
  if (!PERMISSIONS.has(perm)) {
    const hint = perm.includes(",") ? " (give one permission per list entry)" : "";
    return `"${perm}" is not an OpenZFS permission name${hint}; see zfs-allow(8), e.g. hold, send, snapshot, destroy, userprop`;
  }
  return undefined;
}

export type WhoKind = "user" | "group" | "everyone";
export interface Who {
  kind: WhoKind;
  /** User or group name; absent for everyone. */
  name?: string;
}

/** Why `who` is not a valid grantee, or undefined. */
export function whoProblem(who: Who): string | undefined {
  if (who.kind === "everyone") return who.name === undefined ? undefined : "everyone takes no name";
  const problem = unixNameProblem(who.name, who.kind);
  return problem && `${who.kind} name ${JSON.stringify(who.name)} ${problem}`;
}

export const whoLabel = (who: Who): string => (who.kind === "everyone" ? "everyone" : `${who.kind} ${who.name}`);

/** local (`zfs allow -l`), descendent (`-d`), or both (neither flag, printed as Local+Descendent). */
export const SCOPES = ["local", "descendent", "both"] as const;
export type Scope = (typeof SCOPES)[number];

/** The grants of one grantee on one dataset, split as ZFS stores them. */
export interface Grants {
  local: string[];
  descendent: string[];
}

export interface AllowBlock {
  dataset: string;
  sets: Record<string, string[]>;
  createTime: string[];
  /** By grantee label ("user ovh3operator", "group x", "everyone"). */
  grants: Record<string, Grants>;
}

const HEADER = /^---- Permissions on (\S+) -*$/;

/**
 * Parses `zfs allow <dataset>`, keeping only the block about `dataset`
 * (asking about a child also prints the blocks of its parents).
 */
export function parseAllow(output: string, dataset: string): AllowBlock {
  const block: AllowBlock = { dataset, sets: {}, createTime: [], grants: {} };
  let inOurs = false;
  let section: "sets" | "create" | "local" | "descendent" | "both" | undefined;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "") continue;
    const header = line.match(HEADER);
    if (header) {
      inOurs = header[1] === dataset;
      section = undefined;
      continue;
    }
    if (!inOurs) continue;
    if (!line.startsWith("\t") && !line.startsWith(" ")) {
      section = (
        {
          "Permission sets:": "sets",
          "Create time permissions:": "create",
          "Local permissions:": "local",
          "Descendent permissions:": "descendent",
          "Local+Descendent permissions:": "both",
        } as const
      )[line.trim()];
      if (!section) throw new Error(`unexpected line in zfs allow output: ${JSON.stringify(line)}`);
      continue;
    }
    const entry = line.trim();
    if (section === "create") {
      block.createTime.push(...entry.split(","));
      continue;
    }
    if (section === "sets") {
      const [name, perms = ""] = entry.split(/\s+/, 2);
      block.sets[name] = perms.split(",").filter(Boolean);
      continue;
    }
    if (!section) throw new Error(`zfs allow output: entry before any section: ${JSON.stringify(line)}`);
    // A deleted user shows as "user (unknown: 1003) hold".
    const m = entry.match(/^(user|group)\s+(.+?)\s+(\S+)$/) ?? entry.match(/^(everyone)\s+(\S+)$/);
    if (!m) throw new Error(`unexpected entry in zfs allow output: ${JSON.stringify(line)}`);
    const label = m[1] === "everyone" ? "everyone" : `${m[1]} ${m[2]}`;
    const perms = (m[1] === "everyone" ? m[2] : m[3]).split(",").filter(Boolean);
    const g = (block.grants[label] ??= { local: [], descendent: [] });
    if (section === "local" || section === "both") g.local.push(...perms);
    if (section === "descendent" || section === "both") g.descendent.push(...perms);
  }
  for (const g of Object.values(block.grants)) {
    g.local = [...new Set(g.local)].sort();
    g.descendent = [...new Set(g.descendent)].sort();
  }
  return block;
}

/** What `permissions` with `scope` means as ZFS stores it. */
export function wanted(permissions: readonly string[], scope: Scope): Grants {
  const perms = [...new Set(permissions)].sort();
  return {
    local: scope === "descendent" ? [] : perms,
    descendent: scope === "local" ? [] : perms,
  };
}

export interface AllowPlan {
  grant: Grants;
  revoke: Grants;
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

/**
 * The grants and revocations that take `live` to `want`. Only the scopes the
 * resource manages are touched: with scope local, descendent grants made by
 * someone else stay.
 */
export function planAllow(live: Grants, want: Grants, scope: Scope): AllowPlan {
  const manages = (s: "local" | "descendent") => scope === "both" || scope === s;
  return {
    grant: { local: minus(want.local, live.local), descendent: minus(want.descendent, live.descendent) },
    revoke: {
      local: manages("local") ? minus(live.local, want.local) : [],
      descendent: manages("descendent") ? minus(live.descendent, want.descendent) : [],
    },
  };
}

export const isEmptyPlan = (p: AllowPlan): boolean =>
  p.grant.local.length + p.grant.descendent.length + p.revoke.local.length + p.revoke.descendent.length === 0;

function whoArgs(who: Who): string[] {
  if (who.kind === "everyone") return ["-e"];
  return [who.kind === "user" ? "-u" : "-g", who.name!];
}

/**
 * The commands for one grant or revocation. A permission in both scopes is
 * one command without -l/-d (what `zfs allow` prints as Local+Descendent).
 */
function commands(verb: "allow" | "unallow", who: Who, g: Grants, dataset: string): ShellCommand[] {
  const both = g.local.filter((p) => g.descendent.includes(p));
  const onlyLocal = minus(g.local, both);
  const onlyDesc = minus(g.descendent, both);
  const out: ShellCommand[] = [];
  const w = whoArgs(who);
  if (both.length) out.push(sh`zfs ${verb} ${w} ${both.join(",")} ${dataset}`);
  if (onlyLocal.length) out.push(sh`zfs ${verb} -l ${w} ${onlyLocal.join(",")} ${dataset}`);
  if (onlyDesc.length) out.push(sh`zfs ${verb} -d ${w} ${onlyDesc.join(",")} ${dataset}`);
  return out;
}

/** Revocations first: a shrinking grant never passes through a wider one. */
export function planCommands(plan: AllowPlan, who: Who, dataset: string): ShellCommand[] {
  return [...commands("unallow", who, plan.revoke, dataset), ...commands("allow", who, plan.grant, dataset)];
}

/** The permissions a dataset's grantee holds in `scope`, as one list (for outputs). */
export function heldIn(g: Grants, scope: Scope): string[] {
  if (scope === "local") return g.local;
  if (scope === "descendent") return g.descendent;
  return g.local.filter((p) => g.descendent.includes(p));
}
