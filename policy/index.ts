// zfs-fleet's policy pack (README.md here): on every preview and up it is
// given to, it fails a step that would lose a dataset's data, share a dataset
// with everyone, or let a grantee share datasets. A stack turns a rule off
// with `pulumi config set --path 'zfs-fleet-policy:disabled[0]' RULE`.
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { DISABLED_KEY, RULES, type RuleName, TYPES, datasetDeletions, datasetReplacement, disabledRules, shareGrants, sharesWithEveryone } from "./rules";
import { recordedResources } from "./state";

const stack = { organization: pulumi.getOrganization(), project: pulumi.getProject(), stack: pulumi.getStack() };
const disabled = disabledRules(new pulumi.Config(DISABLED_KEY.split(":")[0]).get(DISABLED_KEY.split(":")[1]));
const level = (rule: RuleName) => (disabled.has(rule) ? "disabled" : "mandatory");

const recordedAs = (urn: string, aliases: readonly string[] = []) => {
  const recorded = recordedResources(stack);
  return [urn, ...aliases].map((u) => recorded.get(u)).find((r) => r !== undefined);
};

const dataKeptOnChange: ResourceValidationPolicy = {
  name: "dataset-data-kept",
  description: RULES["dataset-data-kept"],
  enforcementLevel: level("dataset-data-kept"),
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.Dataset) return;
    const aliases = (args.opts.aliases ?? []).filter((a): a is string => typeof a === "string");
    const why = datasetReplacement(args.props, recordedAs(args.urn, aliases));
    if (why) reportViolation(why);
  },
};

// A dataset that leaves the program is deleted after the program has run:
// only the whole-stack check sees that it is gone. It fails the preview (and
// so a plain `pulumi up`, which previews first); `up --skip-preview` runs it
// after the deletes.
const dataKeptOnRemoval: StackValidationPolicy = {
  name: "dataset-data-kept-on-removal",
  description: `${RULES["dataset-data-kept"]} (removed from the program)`,
  enforcementLevel: level("dataset-data-kept"),
  validateStack: (args, reportViolation) => {
    const present = new Set(args.resources.map((r) => r.urn));
    for (const d of datasetDeletions([...recordedResources(stack).values()], present)) reportViolation(d.message, d.urn);
  },
};

const noShareToEveryone: ResourceValidationPolicy = {
  name: "no-share-to-everyone",
  description: RULES["no-share-to-everyone"],
  enforcementLevel: level("no-share-to-everyone"),
  validateResource: (args, reportViolation) => {
    for (const why of sharesWithEveryone(args.type, args.props)) reportViolation(why);
  },
};

const noShareGrants: ResourceValidationPolicy = {
  name: "no-share-grants",
  description: RULES["no-share-grants"],
  enforcementLevel: level("no-share-grants"),
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.Delegation) return;
    const why = shareGrants(args.props);
    if (why) reportViolation(why);
  },
};

new PolicyPack("zfs-fleet-policy", { policies: [dataKeptOnChange, dataKeptOnRemoval, noShareToEveryone, noShareGrants] });
