// SyncoidPull: one line of /etc/sanoid/syncoid-args.conf on the pulling host. See docs/resources/syncoid-pull.md.
import * as pulumi from "@pulumi/pulumi";
import { shimFor } from "../shim";

export interface SyncoidPullArgs {
  /** The pulling host (where syncoid runs and the line lives). */
  host: pulumi.Input<string>;
  /** What to pull: `user@host:dataset` as parts, usually from the source host stack's outputs. */
  source: pulumi.Input<{ user?: pulumi.Input<string>; host?: pulumi.Input<string>; dataset: pulumi.Input<string> }>;
  /** The dataset received into, on the pulling host; the line is found by it and follows its renames. */
  target: pulumi.Input<string>;
  /** syncoid options, one per entry, values as --name=value: e.g. ["--no-sync-snap", "--no-privilege-elevation", "--recursive"]. */
  flags?: pulumi.Input<pulumi.Input<string>[]>;
  /** false pauses the pull: its line is commented out, as operators do. */
  enabled?: pulumi.Input<boolean>;
  /** How long a change or removal waits for a running syncoid of this pull (default 600). */
  waitForRunningSeconds?: pulumi.Input<number>;
  /** Run the pull once when created; a failure fails the create and writes no line. */
  runOnCreate?: pulumi.Input<boolean>;
  /** Keep one of several lines pulling into the target instead of refusing. */
  resolveDuplicates?: pulumi.Input<boolean>;
}

export class SyncoidPull extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly target: pulumi.Output<string>;
  declare readonly enabled: pulumi.Output<boolean>;
  declare readonly line: pulumi.Output<string>;
  declare readonly duplicates: pulumi.Output<string[]>;

  constructor(name: string, args: SyncoidPullArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      shimFor("SyncoidPull"),
      name,
      { flags: [], enabled: true, waitForRunningSeconds: 600, runOnCreate: false, resolveDuplicates: false, ...args, line: undefined, duplicates: undefined },
      opts,
      "zfs",
      "SyncoidPull",
    );
    this.duplicates.apply((list) => {
      for (const d of list ?? []) pulumi.log.warn(`syncoid-args.conf: ${d}; the service runs each of them`, this);
    });
  }
}
