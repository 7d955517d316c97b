// The SanoidPolicy's inputs and outputs, declared once (see ../kind.ts): the
// classes (SanoidPolicy and SanoidTemplate), check, diff and
// docs/resources/sanoid-policy.md's table come from here.
import { z } from "zod";
import { type ArgsOf, type CheckedInputsOf, type InputsOf, type OutputsOf, defineKind, hostInput, isUnknown } from "../kind";
import { own } from "../names";
import { keyProblem, sectionDatasetProblem, templateNameProblem } from "./conf";

/** sanoid keys that have an input of their own. */
const TYPED: Record<string, string> = { use_template: "templates", recursive: "recursive", process_children_only: "processChildrenOnly" };

export const sanoidPolicyKind = defineKind({
  kind: "SanoidPolicy",
  inputs: z.object({
    host: hostInput(),
    dataset: z.string().optional().meta({
      description: "a dataset's policy: the dataset (or pool), usually a Dataset's `name` output; its section `[<dataset>]` follows renames",
    }),
    template: z.string().optional().meta({ description: "or a template: its name without `template_` (SanoidTemplate's `name`), the section `[template_<name>]`" }),
    templates: z.array(z.string()).optional().meta({ description: "`use_template`, applied in order (names without `template_`)" }),
    recursive: z.enum(["yes", "zfs", "no"]).optional().meta({ description: "`yes`: each child separately; `zfs`: one atomic `zfs snapshot -r`; `no`" }),
    processChildrenOnly: z.boolean().optional().meta({ description: "skip the dataset itself, snapshot only its children" }),
    settings: z
      .record(z.string(), z.string())
      .default({})
      .meta({ description: "the section's other sanoid settings (hourly, daily, autosnap, ...): a policy's overrides of its templates, all of a template's" }),
    resolveDuplicates: z
      .boolean()
      .default(false)
      .meta({ description: "merge the copies of a duplicated section into the first instead of refusing the update (which names the lines)" }),
  }),
  outputs: z.object({
    section: z.string().meta({ description: "the section's name in the file" }),
    live: z.record(z.string(), z.string()).meta({ description: "the section's settings as sanoid reads them (the first value of a duplicated key wins)" }),
    duplicates: z.array(z.string()).meta({ description: "duplicated sections anywhere in the file, described" }),
  }),
  rules(d, p) {
    if ((d.dataset === undefined) === (d.template === undefined)) {
      p.add("dataset", "give either dataset (a dataset's policy) or template (a template), not both or neither");
    }
    const inTemplate = d.template !== undefined;
    if (d.dataset !== undefined) p.check("dataset", d.dataset, sectionDatasetProblem);
    if (d.template !== undefined) p.check("template", d.template, templateNameProblem);
    if (inTemplate) {
      for (const f of ["templates", "recursive", "processChildrenOnly"] as const) {
        if (d[f] !== undefined) p.add(f, `sanoid ignores ${f} inside a template; set it on the datasets' policies`);
      }
    }
    p.each("templates", d.templates ?? [], templateNameProblem);
    if (!isUnknown(d.settings)) {
      for (const k of Object.keys(d.settings)) if (own(TYPED, k)) p.add(`settings.${k}`, `set ${k} with the ${own(TYPED, k)} input`);
    }
    p.entries("settings", d.settings, (k, value) => (own(TYPED, k) ? undefined : keyProblem(k, value, inTemplate)));
  },
  // An empty use_template writes no line, as none does.
  same: { templates: (a, b) => (a ?? []).join(",") === (b ?? []).join(",") },
  // A section moved to another host: the old one goes before the new one is written.
  deleteBeforeReplace: true,
  retired: { path: "the file is the host's, zfs-fleet:hosts.<host>.sanoidConf in the stack config (default /etc/sanoid/sanoid.conf)" },
});

/** As the program gives them or a state holds them (see InputsOf). */
export type SanoidPolicyInputs = InputsOf<typeof sanoidPolicyKind>;
/** As check returns them: what create and update receive. */
export type CheckedSanoidPolicyInputs = CheckedInputsOf<typeof sanoidPolicyKind>;
export type SanoidPolicyOutputs = OutputsOf<typeof sanoidPolicyKind>;
export type SanoidPolicyArgs = ArgsOf<typeof sanoidPolicyKind>;
