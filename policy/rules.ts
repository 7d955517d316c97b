// The rules of zfs-fleet's policy pack, pure: each takes a resource as the
// engine shows it to a policy (its type and its new inputs) and, where the
// rule needs it, the resource as the stack last recorded it, and returns what
// is wrong in the operators' words. No I/O: index.ts feeds them.
//
// The engine hands a policy only a resource's new inputs, never the old
// state nor the step it will take, so "would this replace the dataset" is
// decided here from the stack's last recorded state with the Dataset's own
// rule (provider/dataset/provider.ts, diff): a new host or a new pool is a
// replacement; a new name in the same pool is a zfs rename.

/** The type tokens of the kinds these rules read (pulumi.dynamic.Resource with module "zfs"). */
export const TYPES = {
  Dataset: "pulumi-nodejs:dynamic/zfs:Dataset",
  NfsShare: "pulumi-nodejs:dynamic/zfs:NfsShare",
  Delegation: "pulumi-nodejs:dynamic/zfs:Delegation",
} as const;

export const RULES = {
  "dataset-data-kept": "A Dataset the stack manages, and so its data, is never destroyed or replaced",
  "no-share-to-everyone": "No dataset is shared with every host (NFS to everyone or 0.0.0.0/0, or SMB, which names no clients)",
  "no-share-grants": "No delegation lets its grantee share datasets (the share, sharenfs and sharesmb permissions)",
} as const;
export type RuleName = keyof typeof RULES;

/** The stack config key that lists the rules a stack turns off, e.g. ["no-share-grants"]. */
export const DISABLED_KEY = "zfs-fleet-policy:disabled";

/** The engine's marker for a value not known until the update. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const known = (v: unknown): v is string => typeof v === "string" && v !== UNKNOWN;

/** A resource as `pulumi stack export` records it. */
export interface Recorded {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

const poolOf = (name: string) => name.split("/")[0];
const recorded = (r: Recorded, key: string): unknown => r.outputs?.[key] ?? r.inputs?.[key];

/** What removing the recorded dataset does to its data, by its recorded deletion policy. */
function fateOf(old: Recorded): { destroys: boolean; text: string } {
  const name = `${recorded(old, "host")}:${recorded(old, "name")}`;
  switch (recorded(old, "onDelete")) {
    case "destroy":
      return { destroys: true, text: `${name} is destroyed with its data (onDelete: destroy${recorded(old, "destroyRecursive") === true ? ", with its children" : ""})` };
    case "renameAside":
      return { destroys: false, text: `${name} is renamed aside with its data (onDelete: renameAside)` };
    default:
      return { destroys: false, text: `${name} is left on the host with its data (onDelete: retain)` };
  }
}

/**
 * Why this Dataset step loses the dataset's data, or undefined: `news` are the
 * program's inputs, `old` what the stack recorded under the same URN (none
 * for a dataset the stack does not manage yet).
 */
export function datasetReplacement(news: Record<string, unknown>, old: Recorded | undefined): string | undefined {
  if (!old) return undefined;
  const [oldHost, oldName] = [recorded(old, "host"), recorded(old, "name")];
  if (!known(oldHost) || !known(oldName)) return undefined;
  const { host, name } = news;
  const where = known(host) && host !== oldHost ? `host ${oldHost} to host ${host}` : known(name) && poolOf(name) !== poolOf(oldName) ? `pool ${poolOf(oldName)} to pool ${poolOf(name)}` : undefined;
  if (!where) return undefined;
  return (
    `Dataset ${oldHost}:${oldName} would be REPLACED by an empty ${String(host)}:${String(name)}: moving it from ${where} is not a rename ZFS can do. ` +
    `${fateOf(old).text}, and what follows the dataset (shares, pulls, snapshot policies) then points at the empty one. ` +
    `Copy the data first (syncoid or zfs send) and adopt the copy, or keep the dataset where it is.`
  );
}

/** The recorded Datasets that leave the program (absent from `present`, by URN) and whose removal destroys data. */
export function datasetDeletions(prior: readonly Recorded[], present: ReadonlySet<string>): { urn: string; message: string }[] {
  return prior
    .filter((r) => r.type === TYPES.Dataset && !present.has(r.urn))
    .map((r) => ({ urn: r.urn, fate: fateOf(r) }))
    .filter(({ fate }) => fate.destroys)
    .map(({ urn, fate }) => ({
      urn,
      message: `Dataset ${urn.split("::").pop()} leaves the program: ${fate.text}. Set onDelete to "retain" or "renameAside" and run up before removing it.`,
    }));
}

/** A CIDR network that holds every IPv4 address. */
const EVERY_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}\/0$/;

/** How this NfsShare, or this Dataset's sharesmb/sharenfs, would share with every host: one line per way. */
export function sharesWithEveryone(type: string, props: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (type === TYPES.NfsShare) {
    const what = `NfsShare of ${String(props.host)}:${String(props.dataset)}`;
    const clients = Array.isArray(props.clients) ? (props.clients as { address?: unknown }[]) : [];
    if (props.allowEveryone === true && clients.length === 0) out.push(`${what} would export it to every host (allowEveryone: true, sharenfs=on)`);
    for (const c of clients) {
      if (known(c?.address) && (EVERY_ADDRESS.test(c.address) || c.address === "*")) {
        out.push(`${what} would export it to ${c.address}, which is every address`);
      }
    }
  }
  if (type === TYPES.Dataset) {
    const what = `Dataset ${String(props.host)}:${String(props.name)}`;
    const properties = (props.properties ?? {}) as Record<string, unknown>;
    const smb = properties["sharesmb"];
    if (known(smb) && smb !== "off") out.push(`${what} sets sharesmb=${smb}: a ZFS SMB share names no clients, so every SMB user may mount it`);
    const nfs = properties["sharenfs"];
    if (known(nfs) && (nfs === "on" || /(^|[=:,@])(\*|\d{1,3}(\.\d{1,3}){3}\/0)($|[,:])/.test(nfs))) {
      out.push(`${what} sets sharenfs=${nfs}, which exports it to every host`);
    }
  }
  return out;
}

/** The permissions that let a grantee share a dataset (zfs-allow(8)). */
export const SHARE_PERMISSIONS = ["share", "sharenfs", "sharesmb"] as const;

/** Why this Delegation lets its grantee share datasets, or undefined. */
export function shareGrants(props: Record<string, unknown>): string | undefined {
  const permissions = Array.isArray(props.permissions) ? props.permissions.filter(known) : [];
  const granted = SHARE_PERMISSIONS.filter((p) => permissions.includes(p));
  if (granted.length === 0) return undefined;
  const who = (props.who ?? {}) as { user?: unknown; group?: unknown; everyone?: unknown };
  const grantee = who.everyone === true ? "everyone" : who.user !== undefined ? `user ${String(who.user)}` : `group ${String(who.group)}`;
  return (
    `Delegation to ${grantee} on ${String(props.host)}:${String(props.dataset)} would grant ${granted.join(", ")}: ` +
    `the grantee could then share that dataset and every one below it with any host. Shares belong in NfsShare resources, reviewed like the rest.`
  );
}

/** The rules a stack turns off, from its config value (a JSON list of rule names); a name that is no rule is an error. */
export function disabledRules(value: string | undefined): Set<RuleName> {
  if (value === undefined || value === "") return new Set();
  let names: unknown;
  try {
    names = JSON.parse(value);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
    throw new Error(`${DISABLED_KEY} must be a list of rule names, e.g. ["no-share-grants"] (got ${value})`);
  }
  const unknownNames = names.filter((n) => !(n in RULES));
  if (unknownNames.length > 0) {
    throw new Error(`${DISABLED_KEY} names no rule of this pack: ${unknownNames.join(", ")} (the rules: ${Object.keys(RULES).join(", ")})`);
  }
  return new Set(names as RuleName[]);
}
