// The Delegation's inputs and outputs, declared once (see ../kind.ts): the
// class, check, diff and docs/resources/delegation.md's table come from here.
import { z } from "zod";
import { type ArgsOf, type CheckedInputsOf, type InputsOf, type OutputsOf, defineKind, hasUnknown, hostInput, isUnknown } from "../kind";
import { datasetNameProblem, named } from "../names";
import { type Grants, SCOPES, type Who, grantWarnings, permissionProblem, whoLabel, whoProblem } from "./allow";

const who = z.object({ user: z.string().optional(), group: z.string().optional(), everyone: z.boolean().optional() }).strict();

export function whoOf(w: z.output<typeof who>): Who {
  if (w.everyone) return { kind: "everyone" };
  if (w.group !== undefined) return { kind: "group", name: w.group };
  return { kind: "user", name: w.user };
}

const sameSet = (a: readonly string[] = [], b: readonly string[] = []) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

export const delegationKind = defineKind({
  kind: "Delegation",
  inputs: z.object({
    host: hostInput(),
    dataset: z.string().meta({ description: "the dataset or pool root the grants are on, usually a Dataset's `name` output" }),
    who: who.meta({ description: "exactly one of `{ user }`, `{ group }`, `{ everyone: true }`", onChange: "replace" }),
    permissions: z
      .array(z.string())
      .min(1, "give at least one permission (removing the resource revokes them all)")
      .meta({
        description:
          "OpenZFS permission names or `@set` names, one per entry, at least one; `sharenfs`, `sharesmb`, `share`, `mountpoint` are refused, " +
          "`mount`, `canmount`, `rename` accepted with a warning (Linux lets only root mount)",
      }),
    scope: z.enum(SCOPES).default("both").meta({ description: "`local` (`-l`), `descendent` (`-d`) or `both` (neither flag, printed as Local+Descendent)" }),
  }),
  outputs: z.object({
    datasetGuid: z.string().meta({ description: "guid of the dataset the grants are on (follows renames)" }),
    live: z.custom<Grants>().meta({ description: "what the host has for this grantee on this dataset, as ZFS stores it" }),
    held: z.array(z.string()).meta({ description: "the permissions held in the resource's scope" }),
  }),
  rules(d, p) {
    p.check("dataset", d.dataset, (name) => named(name, datasetNameProblem(name, { poolRoot: true })));
    if (!isUnknown(d.who)) {
      const given = [d.who.user !== undefined, d.who.group !== undefined, d.who.everyone === true].filter(Boolean).length;
      if (given !== 1) p.add("who", "give exactly one of user, group or everyone: true");
      else if (!hasUnknown(d.who)) p.add("who", whoProblem(whoOf(d.who)));
    }
    p.each("permissions", d.permissions, permissionProblem);
    p.unique("permissions", d.permissions);
  },
  warnings: {
    from: ["dataset", "who", "permissions"],
    of: ({ dataset, who, permissions }) =>
      who && permissions && typeof dataset === "string" && Array.isArray(permissions) ? grantWarnings(whoOf(who), permissions, dataset) : [],
  },
  normalize: (d) => (isUnknown(d.permissions) ? {} : { permissions: [...d.permissions].sort() }),
  same: {
    who: (a, b) => whoLabel(whoOf(a)) === whoLabel(whoOf(b)),
    permissions: sameSet,
  },
  deleteBeforeReplace: false,
});

/** As the program gives them or a state holds them (see InputsOf). */
export type DelegationInputs = InputsOf<typeof delegationKind>;
/** As check returns them: what create and update receive. */
export type CheckedDelegationInputs = CheckedInputsOf<typeof delegationKind>;
export type DelegationOutputs = OutputsOf<typeof delegationKind>;
export type DelegationArgs = ArgsOf<typeof delegationKind>;
