// Dataset: a ZFS filesystem, its name and its properties. See docs/resources/dataset.md.
import * as pulumi from "@pulumi/pulumi";
import { shimFor } from "../shim";
import type { OnDelete } from "./schema";

export interface DatasetArgs {
  /** The host, as named in the stack's `zfs-fleet:hosts`. */
  host: pulumi.Input<string>;
  /** Full name, `pool/path`. A new name in the same pool renames the dataset. */
  name: pulumi.Input<string>;
  /** Native and user properties set on the dataset itself; one removed from here is inherited again. */
  properties?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Create or rename with -p: missing parents are created. */
  createParents?: pulumi.Input<boolean>;
  /** What removing the resource does: retain (default), renameAside (`<name>-removed-YYYYMMDD`) or destroy. */
  onDelete?: pulumi.Input<OnDelete>;
  /** With onDelete destroy: take children and snapshots too (`zfs destroy -r`; never clones elsewhere). */
  destroyRecursive?: pulumi.Input<boolean>;
  /** Take over a dataset that already exists, changing nothing on the host. */
  adopt?: pulumi.Input<boolean>;
}

export class Dataset extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly guid: pulumi.Output<string>;
  declare readonly pool: pulumi.Output<string>;
  declare readonly mountpoint: pulumi.Output<string>;
  declare readonly properties: pulumi.Output<Record<string, string>>;
  declare readonly effective: pulumi.Output<Record<string, { value: string; source: string }>>;
  declare readonly adoptedDifferences: pulumi.Output<string[]>;

  constructor(name: string, args: DatasetArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shimFor("Dataset"),
      name,
      {
        properties: {},
        createParents: false,
        onDelete: "retain",
        destroyRecursive: false,
        adopt: false,
        ...args,
        guid: undefined,
        pool: undefined,
        mountpoint: undefined,
        effective: undefined,
        adoptedDifferences: undefined,
      },
      opts,
      "zfs",
      "Dataset",
    );
  }
}
