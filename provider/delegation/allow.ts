// `zfs allow` as data: the permission names OpenZFS knows, the output of
// `zfs allow <dataset>` parsed, and the grants and revocations that take a
// dataset from what it has to what the program wants. Pure.
import { own, shown, unixNameProblem } from "../names";
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

/**
 * Permissions a Delegation refuses, and why: each lets the grantee do what
 * this program's other resources check, past those checks.
 */
export const REFUSED: Readonly<Record<string, string>> = {
  sharenfs: "lets the grantee share datasets over NFS to any client, past NfsShare's checks (and the provider's re-export of the host's shares then publishes them); share with an NfsShare",
  sharesmb: "lets the grantee share datasets over SMB to any client; nothing in this program checks SMB clients",
  share: "lets the grantee publish what sharenfs and sharesmb say (on Linux only root can, and sharing is NfsShare's job)",
  mountpoint: "lets the grantee choose where root mounts the dataset at the next boot or import (over /etc, say); set mountpoint with a Dataset",
  unmount: "is not a zfs allow permission: mount covers mounting and unmounting",
};

/**
 * Permissions Linux honours only in part for a user: accepted, with a warning
 * that says what they do and do not allow there (on Linux only root mounts).
 */
export const ON_LINUX: Readonly<Record<string, string>> = {
  mount:
    "on Linux the grantee cannot mount or unmount (only root can); OpenZFS still requires mount granted with create, receive, " +
    "destroy, snapshot, rollback and clone, so grant it with those, and receive with -u (syncoid --recvoptions=u) or into a target that is not mounted",
  canmount: "the grantee may change canmount, but on Linux only root mounts: it takes effect when root next mounts the dataset (at boot or import)",
  rename:
    "on Linux the grantee can rename only a dataset that is not mounted (a mounted one is unmounted and remounted, which only root can do); " +
    "it also needs create and mount on the new parent",
};

/** What a permission needs granted with it (zfs-allow(8): "must also have the ... ability"). */
export const NEEDS: Readonly<Record<string, readonly string[]>> = {
  clone: ["create", "mount"],
  create: ["mount"],
  destroy: ["mount"],
  promote: ["mount"],
  receive: ["create", "mount"],
  rename: ["create", "mount"],
  rollback: ["mount"],
  snapshot: ["mount"],
};

/** Permissions that are a lot to give to every user of a host. */
export const POWERFUL: readonly string[] = ["allow", "destroy", "receive", "create", "rename", "promote", "rollback", "clone"];

const SET_NAME = /^@[a-z0-9_.:-]{1,63}$/i;

/** Why `perm` cannot be delegated, or undefined when it can. */
export function permissionProblem(perm: string): string | undefined {
  if (typeof perm !== "string" || perm === "") return "must be a non-empty permission name";
  if (perm.startsWith("@")) {
    return SET_NAME.test(perm) ? undefined : `${shown(perm)} is not a permission set name (@ then letters, digits, _ . : -, at most 64 characters)`;
  }
  const refused = own(REFUSED, perm);
  if (refused) return `${shown(perm)} is refused: it ${refused}`;
  if (!PERMISSIONS.has(perm)) {
    const hint = perm.includes(",") ? " (give one permission per list entry)" : "";
    return `${shown(perm)} is not an OpenZFS permission name${hint}; see zfs-allow(8), e.g. hold, send, snapshot, destroy, userprop`;
  }
  return undefined;
}

/**
 * What a reviewer should know about a grant that is allowed: what Linux does
 * not honour, a permission whose companions are missing, a permission set
 * defined on the host, powerful permissions for everyone. Pure.
 */
export function grantWarnings(who: Who, permissions: readonly string[], dataset: string): string[] {
  const on = `${whoLabel(who)} on ${dataset}`;
  const valid = permissions.filter((p) => typeof p === "string" && permissionProblem(p) === undefined);
  const out: string[] = [];
  for (const p of valid) {
    const note = own(ON_LINUX, p);
    if (note) out.push(`Delegation of ${shown(p)} to ${on}: ${note}`);
  }
  const sets = valid.filter((p) => p.startsWith("@"));
  for (const s of sets) out.push(`Delegation of ${s} to ${on}: what a permission set grants is defined on the host (zfs allow -s), not in this program; review it there`);
  if (sets.length === 0) {
    for (const p of valid) {
      const lacking = (own(NEEDS, p) ?? []).filter((n) => !valid.includes(n));
      if (lacking.length) {
        out.push(`Delegation of ${p} to ${on}: zfs-allow(8) requires ${(own(NEEDS, p) ?? []).join(" and ")} with it, and this grant lacks ${lacking.join(", ")}: the grantee's zfs ${p} fails (permission denied) unless another grant gives it`);
      }
    }
  }
  if (who.kind === "everyone") {
    const strong = valid.filter((p) => POWERFUL.includes(p));
    if (strong.length) out.push(`Delegation to everyone on ${dataset}: every user of the host may ${strong.join(", ")} there`);
  }
  return out;
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
  return problem && `${who.kind} name ${shown(who.name)} ${problem}`;
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

const SECTIONS = {
  "Permission sets:": "sets",
  "Create time permissions:": "create",
  "Local permissions:": "local",
  "Descendent permissions:": "descendent",
  "Local+Descendent permissions:": "both",
} as const;

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
      section = own(SECTIONS, line.trim());
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
