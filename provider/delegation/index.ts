// Delegation: `zfs allow` grants of one grantee on one dataset. See docs/resources/delegation.md.
import * as pulumi from "@pulumi/pulumi";
import { shimFor } from "../shim";
import type { Grants, Scope } from "./allow";

export interface DelegationArgs {
  /** The host, as named in the stack's `zfs-fleet:hosts`. */
  host: pulumi.Input<string>;
  /** The dataset or pool root the grants are on, usually a Dataset's `name` output. */
  dataset: pulumi.Input<string>;
  /** Exactly one of: a user, a group, or everyone. */
  who: pulumi.Input<{ user?: pulumi.Input<string>; group?: pulumi.Input<string>; everyone?: pulumi.Input<boolean> }>;
  /** OpenZFS permission names or @sets, e.g. ["hold", "send"]. */
  permissions: pulumi.Input<pulumi.Input<string>[]>;
  /** local (-l), descendent (-d) or both (the default, printed as Local+Descendent). */
  scope?: pulumi.Input<Scope>;
}

export class Delegation extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly dataset: pulumi.Output<string>;
  declare readonly datasetGuid: pulumi.Output<string>;
  declare readonly permissions: pulumi.Output<string[]>;
  declare readonly scope: pulumi.Output<Scope>;
  declare readonly live: pulumi.Output<Grants>;
  declare readonly held: pulumi.Output<string[]>;

  constructor(name: string, args: DelegationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shimFor("Delegation"),
      name,
      { scope: "both", ...args, datasetGuid: undefined, live: undefined, held: undefined },
      opts,
      "zfs",
      "Delegation",
    );
  }
}
