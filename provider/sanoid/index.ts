// SanoidPolicy and SanoidTemplate: sections of /etc/sanoid/sanoid.conf. See docs/resources/sanoid-policy.md.
import * as pulumi from "@pulumi/pulumi";
import { shimFor } from "../shim";

export interface SanoidPolicyArgs {
  /** The host, as named in the stack's `zfs-fleet:hosts`. */
  host: pulumi.Input<string>;
  /** The dataset (or pool) the policy is for, usually a Dataset's `name` output: its section follows renames. */
  dataset: pulumi.Input<string>;
  /** use_template, applied in order (names without the template_ prefix). */
  templates?: pulumi.Input<pulumi.Input<string>[]>;
  /** yes: each child separately; zfs: one atomic `zfs snapshot -r`; no. */
  recursive?: pulumi.Input<"yes" | "zfs" | "no">;
  /** Skip the dataset itself, snapshot only its children. */
  processChildrenOnly?: pulumi.Input<boolean>;
  /** Overrides of the templates' settings (hourly, daily, autosnap, ...). */
  settings?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Merge the copies of a duplicated section into one (otherwise the update is refused, naming the lines). */
  resolveDuplicates?: pulumi.Input<boolean>;
}

export interface SanoidTemplateArgs {
  host: pulumi.Input<string>;
  /** The template's name, without template_ (e.g. synced_data). */
  name: pulumi.Input<string>;
  /** Its settings (frequently, hourly, daily, monthly, yearly, autosnap, autoprune, scripts, ...). */
  settings: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export class SanoidPolicy extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly dataset: pulumi.Output<string>;
  declare readonly section: pulumi.Output<string>;
  declare readonly live: pulumi.Output<Record<string, string>>;
  declare readonly duplicates: pulumi.Output<string[]>;

  constructor(name: string, args: SanoidPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(shimFor("SanoidPolicy"), name, { settings: {}, resolveDuplicates: false, ...args, section: undefined, live: undefined, duplicates: undefined }, opts, "zfs", "SanoidPolicy");
    warnDuplicates(this, this.duplicates);
  }
}

/** A `[template_<name>]` section; the same provider as SanoidPolicy. */
export class SanoidTemplate extends pulumi.dynamic.Resource {
  declare readonly host: pulumi.Output<string>;
  declare readonly section: pulumi.Output<string>;
  declare readonly live: pulumi.Output<Record<string, string>>;
  declare readonly duplicates: pulumi.Output<string[]>;

  constructor(name: string, args: SanoidTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    const { name: template, ...rest } = args;
    super(
      shimFor("SanoidPolicy"),
      name,
      { resolveDuplicates: false, ...rest, template, section: undefined, live: undefined, duplicates: undefined },
      opts,
      "zfs",
      "SanoidTemplate",
    );
    warnDuplicates(this, this.duplicates);
  }
}

function warnDuplicates(resource: pulumi.Resource, dups: pulumi.Output<string[]>): void {
  dups.apply((list) => {
    for (const d of list ?? []) pulumi.log.warn(`sanoid.conf: ${d}`, resource);
  });
}
