// Input rules shared by Delegation, NfsShare, SanoidPolicy and SyncoidPull
// (pure): the engine's marker for values unknown at preview, host and
// dataset names (pool roots allowed: delegations and policies often sit on
// a pool's root dataset).
import { datasetNameProblem, hostNameProblem, named } from "../names";

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (v: unknown): boolean => v === UNKNOWN;
/** True when a value, or anything inside it, is unknown (preview with outputs of resources not created yet). */
export const hasUnknown = (v: unknown): boolean => JSON.stringify(v ?? null).includes(UNKNOWN);

export interface Failure {
  property: string;
  reason: string;
}

/**
 * Why `host` cannot name a host of this stack: not a host name, or (when the
 * provider was configured; check may run before) not in `zfs-fleet:hosts`.
 */
export function hostProblem(host: unknown, configuredHosts: readonly string[] = []): string | undefined {
  return isUnknown(host) ? undefined : hostNameProblem(host, configuredHosts);
}

/** Why `name` is not a filesystem name (a pool's root included), or undefined. */
export function datasetOrPoolProblem(name: unknown): string | undefined {
  if (isUnknown(name)) return undefined;
  return named(name, datasetNameProblem(name, { poolRoot: true }));
}

/** Zod issues as check() failures. */
export function zodFailures(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Failure[] {
  return issues.map((i) => ({ property: i.path.map(String).join(".") || "(inputs)", reason: i.message }));
}
