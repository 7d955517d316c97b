// SanoidPolicy and SanoidTemplate: sections of /etc/sanoid/sanoid.conf, one
// kind (SanoidPolicy) in two classes. See docs/resources/sanoid-policy.md.
import * as pulumi from "@pulumi/pulumi";
import { type OutputProperties, resourceClass } from "../resource";
import { type SanoidPolicyArgs, sanoidPolicyKind } from "./schema";

export type { SanoidPolicyArgs, SanoidPolicyOutputs } from "./schema";

/** A template: its name (without `template_`) and all of its settings. */
export type SanoidTemplateArgs = Pick<SanoidPolicyArgs, "host" | "resolveDuplicates"> &
  Required<Pick<SanoidPolicyArgs, "settings">> & { name: NonNullable<SanoidPolicyArgs["template"]> };

export interface SanoidPolicy extends OutputProperties<typeof sanoidPolicyKind> {}
/** A dataset's `[<dataset>]` section. */
export class SanoidPolicy extends resourceClass(sanoidPolicyKind) {
  constructor(name: string, args: SanoidPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(name, args, opts);
    warnDuplicates(this, this.duplicates);
  }
}

export interface SanoidTemplate extends OutputProperties<typeof sanoidPolicyKind> {}
/** A `[template_<name>]` section; the same provider as SanoidPolicy. */
export class SanoidTemplate extends resourceClass(sanoidPolicyKind, "SanoidTemplate") {
  constructor(name: string, args: SanoidTemplateArgs, opts?: pulumi.CustomResourceOptions) {
    const { name: template, ...rest } = args;
    super(name, { ...rest, template }, opts);
    warnDuplicates(this, this.duplicates);
  }
}

function warnDuplicates(resource: pulumi.Resource, dups: pulumi.Output<string[]>): void {
  dups.apply((list) => {
    for (const d of list ?? []) pulumi.log.warn(`sanoid.conf: ${d}`, resource);
  });
}
