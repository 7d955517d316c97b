// NfsShare: the sharenfs property of one dataset and its live exports. See docs/resources/nfs-share.md.
import * as pulumi from "@pulumi/pulumi";
import { shimFor } from "../shim";
import type { Access, ExportLine } from "./sharenfs";

export interface NfsShareArgs {
  /** The host, as named in the stack's `zfs-fleet:hosts`. */
  host: pulumi.Input<string>;
  /** The dataset to share, usually a Dataset's `name` output. */
  dataset: pulumi.Input<string>;
  /** Who may mount: an IPv4 address, CIDR network or host name, each read-write or read-only. */
  clients?: pulumi.Input<pulumi.Input<{ address: pulumi.Input<string>; access: pulumi.Input<Access> }>[]>;
  /** exports(5) options such as no_root_squash, crossmnt, no_subtree_check. */
  options?: pulumi.Input<pulumi.Input<string>[]>;
  /** With no clients, export to every host (sharenfs=on). Refused unless set. */
  allowEveryone?: pulumi.Input<boolean>;
}

export class NfsShare extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly dataset: pulumi.Output<string>;
  declare readonly sharenfs: pulumi.Output<string>;
  declare readonly mountpoint: pulumi.Output<string>;
  declare readonly exports: pulumi.Output<ExportLine[]>;
  declare readonly inheritedBy: pulumi.Output<string[]>;
  declare readonly staleExports: pulumi.Output<string[]>;

  constructor(name: string, args: NfsShareArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shimFor("NfsShare"),
      name,
      {
        clients: [],
        options: [],
        allowEveryone: false,
        ...args,
        datasetGuid: undefined,
        sharenfs: undefined,
        mountpoint: undefined,
        exports: undefined,
        inheritedBy: undefined,
        staleExports: undefined,
      },
      opts,
      "zfs",
      "NfsShare",
    );
    // The provider cannot warn during a preview without asking the host; what
    // the last read saw is in the state, and a preview shows it (refreshed with
    // `pulumi preview --refresh`).
    pulumi.all([this.inheritedBy, this.dataset]).apply(([children, dataset]) => {
      if (children && children.length > 0) {
        pulumi.log.warn(
          `${dataset} is shared and, at the last read of the share, ${children.length} child dataset(s) inherited it, so they are exported too: ` +
            `${children.slice(0, 5).join(", ")}${children.length > 5 ? ", ..." : ""}. ` +
            `Move them out, or give them their own sharenfs (an NfsShare, or sharenfs=off); \`pulumi refresh\` reads it again.`,
          this,
        );
      }
    });
  }
}
