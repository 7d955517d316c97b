// SyncoidPull: one line of /etc/sanoid/syncoid-args.conf on the pulling host. See docs/resources/syncoid-pull.md.
import * as pulumi from "@pulumi/pulumi";
import { type OutputProperties, resourceClass } from "../resource";
import { type SyncoidPullArgs, syncoidPullKind } from "./schema";

export type { SyncoidPullArgs, SyncoidPullOutputs } from "./schema";

export interface SyncoidPull extends OutputProperties<typeof syncoidPullKind> {}
export class SyncoidPull extends resourceClass(syncoidPullKind) {
  constructor(name: string, args: SyncoidPullArgs, opts?: pulumi.CustomResourceOptions) {
    super(name, args, opts);
    this.duplicates.apply((list) => {
      for (const d of list ?? []) pulumi.log.warn(`syncoid-args.conf: ${d}; the service runs each of them`, this);
    });
  }
}
