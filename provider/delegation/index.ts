// Delegation: `zfs allow` grants of one grantee on one dataset. See docs/resources/delegation.md.
import { type OutputProperties, resourceClass } from "../resource";
import { delegationKind } from "./schema";

export type { DelegationArgs, DelegationOutputs } from "./schema";

export interface Delegation extends OutputProperties<typeof delegationKind> {}
export class Delegation extends resourceClass(delegationKind) {}
