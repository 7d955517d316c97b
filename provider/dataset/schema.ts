// The Dataset's inputs and outputs, declared once (see ../kind.ts): the class,
// check, diff and docs/resources/dataset.md's table all come from here.
import { z } from "zod";
import { type ArgsOf, type CheckedInputsOf, type InputsOf, type OutputsOf, defineKind, hostInput, isUnknown } from "../kind";
import { datasetNameProblem, escaped, named } from "../names";
import { ACKNOWLEDGEABLE } from "../hazards/analyse";
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
    waitForReplicationSeconds: z.number().int().min(0).max(86_400).default(600).meta({
      description:
        "before a move or removal, wait up to this long for replication of the dataset (a `zfs send` or `receive`, a syncoid, a sender's ssh session) to finish, then fail having changed nothing; 0: fail at once",
    }),
    acknowledgeHazards: z.array(z.string()).default([]).meta({
      description:
        "hazards a move or removal may go ahead despite: `bindMount:<container id, unit or path inside>`, `configuredContainer:<container id>`, as the refusal names them; the review shows them",
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
    hazards: z.array(z.string()).optional().meta({
      description: "what the last read (`pulumi refresh`, `preview --refresh`) found that a move or removal of the dataset would meet: mounts held in other namespaces, containers, replication, NFS clients",
    }),
  }),
  rules(d, p) {
    p.check("name", d.name, (n) => named(n, datasetNameProblem(n)));
    p.entries("properties", d.properties, (key, value) => {
      const problem = propertyProblem(key, value);
      return problem && `${escaped(key)} ${problem}`;
    });
    p.each("acknowledgeHazards", d.acknowledgeHazards, (a) => acknowledgementProblem(a));
    p.unique("acknowledgeHazards", d.acknowledgeHazards);
    if (d.destroyRecursive === true && !isUnknown(d.onDelete) && d.onDelete !== "destroy") {
      p.add("destroyRecursive", 'only applies with onDelete: "destroy"');
    }
  },
  same: { properties: sameProperties },
  retired: {
    waitForSyncoidSeconds: "use waitForReplicationSeconds (default 600), which waits for any replication of the dataset before a move or removal",
  },
  deleteBeforeReplace: false,
});

/** Why an entry of acknowledgeHazards is not one, or undefined. */
export function acknowledgementProblem(a: string): string | undefined {
  const m = a.match(/^([A-Za-z]+):(.+)$/);
  if (!m) return `${JSON.stringify(a)} must be <kind>:<holder>, e.g. "bindMount:101" or "bindMount:/mnt/off" (as a refusal names it)`;
  if (m[1] === "replication") return "replication is not acknowledged: a move waits for it (waitForReplicationSeconds)";
  if (m[1] === "nfsClient") return "NFS clients are not acknowledged: they are a warning, never a refusal";
  if (!(ACKNOWLEDGEABLE as readonly string[]).includes(m[1])) return `${JSON.stringify(m[1])} is not a hazard kind that can be acknowledged (${ACKNOWLEDGEABLE.join(", ")})`;
  if (/\s/.test(m[2])) return `${JSON.stringify(a)} has white space in its holder`;
  return undefined;
}

/** As the program gives them or a state holds them (see InputsOf). */
export type DatasetInputs = InputsOf<typeof datasetKind>;
/** As check returns them: what create and update receive. */
export type CheckedDatasetInputs = CheckedInputsOf<typeof datasetKind>;
export type DatasetOutputs = OutputsOf<typeof datasetKind>;
export type DatasetArgs = ArgsOf<typeof datasetKind>;
