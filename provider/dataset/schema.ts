// The Dataset's inputs and outputs, declared once (see ../kind.ts): the class,
// check, diff and docs/resources/dataset.md's table all come from here.
import { z } from "zod";
import { type ArgsOf, type CheckedInputsOf, type InputsOf, type OutputsOf, defineKind, hostInput, isUnknown } from "../kind";
import { datasetNameProblem, escaped, named } from "../names";
import { propertyProblem, sameProperties } from "./properties";

export const ON_DELETE = ["retain", "renameAside", "destroy"] as const;
export type OnDelete = (typeof ON_DELETE)[number];

export const datasetKind = defineKind({
  kind: "Dataset",
  inputs: z.object({
    host: hostInput(),
    name: z.string().meta({ description: "full name, `pool/path` (not a pool's root); a new name in the same pool renames the dataset, another pool replaces it" }),
    properties: z
      .record(z.string(), z.string())
      .default({})
      .meta({ description: "native and user properties set on the dataset itself; one removed from here is inherited again" }),
    createParents: z.boolean().default(false).meta({ description: "`zfs create -p` / `zfs rename -p`: missing parents are created" }),
    onDelete: z
      .enum(ON_DELETE)
      .default("retain")
      .meta({ description: "what removing the resource does: `retain`, `renameAside` (`<name>-removed-YYYYMMDD`) or `destroy`" }),
    destroyRecursive: z
      .boolean()
      .default(false)
      .meta({ description: "with `onDelete: destroy`, take children and snapshots too (`-r`; never `-R`, so never clones elsewhere)" }),
    adopt: z
      .boolean()
      .default(false)
      .meta({ description: "take over an existing dataset as it is, changing nothing on the host (the `import` option does not work for dynamic providers)" }),
    waitForSyncoidSeconds: z.number().int().min(0).max(86_400).default(0).meta({
      description: "before a rename, wait up to this long for a syncoid running on the host for the dataset (a pull into it) to finish; 0: do not wait",
    }),
  }),
  outputs: z.object({
    guid: z.string().meta({ description: "the dataset's guid: the resource's id, kept by ZFS across renames" }),
    pool: z.string().meta({ description: "the pool the dataset is in" }),
    mountpoint: z.string().meta({ description: "where it is mounted" }),
    effective: z
      .record(z.string(), z.object({ value: z.string(), source: z.string() }))
      .meta({ description: "value and source of each managed property, as ZFS reports them" }),
    adoptedDifferences: z.array(z.string()).meta({ description: "when adopted: properties whose value on the host differed from the program's" }),
  }),
  rules(d, p) {
    p.check("name", d.name, (n) => named(n, datasetNameProblem(n)));
    p.entries("properties", d.properties, (key, value) => {
      const problem = propertyProblem(key, value);
      return problem && `${escaped(key)} ${problem}`;
    });
    if (d.destroyRecursive === true && !isUnknown(d.onDelete) && d.onDelete !== "destroy") {
      p.add("destroyRecursive", 'only applies with onDelete: "destroy"');
    }
  },
  same: { properties: sameProperties },
  deleteBeforeReplace: false,
});

/** As the program gives them or a state holds them (see InputsOf). */
export type DatasetInputs = InputsOf<typeof datasetKind>;
/** As check returns them: what create and update receive. */
export type CheckedDatasetInputs = CheckedInputsOf<typeof datasetKind>;
export type DatasetOutputs = OutputsOf<typeof datasetKind>;
export type DatasetArgs = ArgsOf<typeof datasetKind>;
