// NfsShare: the sharenfs property of one dataset and its live exports. See docs/resources/nfs-share.md.
import * as pulumi from "@pulumi/pulumi";
import { type OutputProperties, resourceClass } from "../resource";
import { type NfsShareArgs, nfsShareKind } from "./schema";

export type { NfsShareArgs, NfsShareOutputs } from "./schema";

export interface NfsShare extends OutputProperties<typeof nfsShareKind> {}
export class NfsShare extends resourceClass(nfsShareKind) {
  constructor(name: string, args: NfsShareArgs, opts?: pulumi.CustomResourceOptions) {
    super(name, args, opts);
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
