// Delegation's lifecycle: `zfs allow` grants of one grantee on one dataset.
// Delegations are stored on the dataset and move with it when it is renamed:
// the dataset's guid (recorded at create) tells a rename (nothing to do but
// follow the name) from a move to another dataset (revoke there, grant here).
// check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { hasUnknown } from "../kind";
import { poolOf } from "../names";
import { RemoteCommandError, type ShellCommand, and, knownHosts, run, sh } from "../transport";
import { failedWith } from "../zfs/errors";
import { findByGuid } from "../zfs/inventory";
import { type Grants, type Scope, type Who, heldIn, isEmptyPlan, parseAllow, planAllow, planCommands, wanted, whoLabel } from "./allow";
import { type CheckedDelegationInputs, type DelegationInputs, type DelegationOutputs, delegationKind, whoOf } from "./schema";

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return delegationKind.check(news, knownHosts());
}

/** Pure: compares inputs, and what the host had at the last read with what the program wants. */
export async function diff(_id: string, olds: DelegationOutputs, news: DelegationInputs): Promise<pulumi.dynamic.DiffResult> {
  const { permissions, scope } = delegationKind.complete(news);
  const drift = !hasUnknown(permissions) && olds.live !== undefined && planHasWork(olds.live, wanted(permissions ?? [], scope), scope);
  return delegationKind.diff(olds, news, { changed: drift });
}

const planHasWork = (live: Grants, want: Grants, scope: Scope) => !isEmptyPlan(planAllow(live, want, scope));

interface Found {
  name: string;
  guid: string;
  grants: Grants;
}

const NONE: Grants = { local: [], descendent: [] };

/** The dataset's guid and this grantee's grants on it, in one round trip. */
async function inspect(host: string, dataset: string, who: Who): Promise<Found> {
  const r = await run(host, and(sh`zfs get -Hp -o value guid ${dataset}`, sh`zfs allow ${dataset}`), { idempotent: true });
  const [guid, ...rest] = r.stdout.split("\n");
  const block = parseAllow(rest.join("\n"), dataset);
  return { name: dataset, guid: guid.trim(), grants: block.grants[whoLabel(who)] ?? NONE };
}

/** The grants where they were last seen; the pool is searched by guid only when the dataset moved. */
async function find(host: string, lastName: string, guid: string, who: Who): Promise<Found | undefined> {
  try {
    const found = await inspect(host, lastName, who);
    if (found.guid === guid) return found;
  } catch (err) {
    if (!failedWith(err, "missing")) throw err;
  }
  const name = (await findByGuid(host, poolOf(lastName), guid))?.name;
  return name ? inspect(host, name, who) : undefined;
}

async function apply(host: string, commands: ShellCommand[]): Promise<void> {
  if (commands.length === 0) return;
  try {
    await run(host, and(...commands));
  } catch (err) {
    if (err instanceof RemoteCommandError && failedWith(err, "unknownGrantee")) {
      throw new Error(`${host}: ${err.stderr.trim()}: the grantee does not exist on ${host} (create the user first; a deleted user can no longer be unallowed by name)`);
    }
    throw err;
  }
}

function outputs(inputs: CheckedDelegationInputs, found: Found): DelegationOutputs {
  return { ...inputs, dataset: found.name, datasetGuid: found.guid, live: found.grants, held: heldIn(found.grants, inputs.scope) };
}

async function reconcile(inputs: CheckedDelegationInputs, manage: Scope): Promise<DelegationOutputs> {
  const who = whoOf(inputs.who);
  const before = await inspect(inputs.host, inputs.dataset, who);
  const plan = planAllow(before.grants, wanted(inputs.permissions, inputs.scope), manage);
  if (isEmptyPlan(plan)) return outputs(inputs, before);
  await apply(inputs.host, planCommands(plan, who, inputs.dataset));
  return outputs(inputs, await inspect(inputs.host, inputs.dataset, who));
}

export async function create(inputs: CheckedDelegationInputs): Promise<pulumi.dynamic.CreateResult> {
  // Grants of the same grantee outside this scope are someone else's: leave them.
  const outs = await reconcile(inputs, inputs.scope);
  const w = whoOf(inputs.who);
  return { id: `${inputs.host}:${outs.datasetGuid}:${w.kind}:${w.name ?? ""}`, outs };
}

export async function read(id: string, props: DelegationOutputs): Promise<pulumi.dynamic.ReadResult> {
  const found = await find(props.host, props.dataset, props.datasetGuid, whoOf(props.who));
  if (!found) return { id: "", props: {} };
  return { id, props: outputs(delegationKind.complete(props), found) };
}

export async function update(_id: string, olds: DelegationOutputs, news: CheckedDelegationInputs): Promise<pulumi.dynamic.UpdateResult> {
  const who = whoOf(news.who);
  const here = await inspect(news.host, news.dataset, who);
  if (here.guid !== olds.datasetGuid) {
    // Another dataset, not a rename of the old one: take the grants off the old one.
    const old = await find(olds.host, olds.dataset, olds.datasetGuid, whoOf(olds.who));
    if (old) await revokeAll(olds, old);
  }
  const manage: Scope = delegationKind.complete(olds).scope === news.scope ? news.scope : "both";
  return { outs: await reconcile(news, manage) };
}

async function revokeAll(stored: DelegationOutputs, found: Found): Promise<void> {
  const props = delegationKind.complete(stored);
  const who = whoOf(props.who);
  const live = found.grants;
  const name = found.name;
  const mine = wanted(props.permissions, props.scope);
  const revoke = { local: mine.local.filter((p) => live.local.includes(p)), descendent: mine.descendent.filter((p) => live.descendent.includes(p)) };
  await apply(props.host, planCommands({ grant: NONE, revoke }, who, name));
}

/** Revokes this resource's permissions only; other grants of the grantee stay. */
export async function remove(_id: string, props: DelegationOutputs): Promise<void> {
  const found = await find(props.host, props.dataset, props.datasetGuid, whoOf(props.who));
  if (found) await revokeAll(props, found);
}
