// The SyncoidPull's inputs and outputs, declared once (see ../kind.ts): the
// class, check, diff and docs/resources/syncoid-pull.md's table come from here.
import { z } from "zod";
import { type ArgsOf, type CheckedInputsOf, type InputsOf, type OutputsOf, defineKind, hasUnknown, hostInput, isUnknown } from "../kind";
import { endpointProblem, flagProblem, parseEndpoint } from "./args";

export const syncoidPullKind = defineKind({
  kind: "SyncoidPull",
  inputs: z.object({
    host: hostInput("the pulling host, where syncoid runs and the line lives"),
    source: z
      .object({ user: z.string().optional(), host: z.string().optional(), dataset: z.string() })
      .strict()
      .meta({ description: "what to pull, `{user?, host?, dataset}`, written `user@host:dataset`; usually from the source host stack's outputs" }),
    target: z.string().meta({
      description:
        "the dataset received into on the pulling host; identifies the line and follows its renames (a push line's remote " +
        "`user@host:dataset` is accepted too, so a program can adopt the old pushes and remove them)",
    }),
    flags: z.array(z.string()).default([]).meta({ description: "syncoid options, one per entry, values as `--name=value`" }),
    enabled: z.boolean().default(true).meta({ description: "`false` pauses the pull: the line is commented out, as operators do" }),
    waitForRunningSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(600)
      .meta({ description: "how long a change or removal waits for a running syncoid of this pull" }),
    runOnCreate: z.boolean().default(false).meta({ description: "run the pull once at create; a failure fails the create and writes no line" }),
    resolveDuplicates: z.boolean().default(false).meta({ description: "keep one of several lines pulling into the target instead of refusing" }),
  }),
  outputs: z.object({
    line: z.string().meta({ description: 'the line as it is in the file ("" when missing)' }),
    duplicates: z.array(z.string()).meta({ description: "targets pulled by more than one line of the file" }),
  }),
  rules(d, p) {
    if (!hasUnknown(d.source)) p.add("source", endpointProblem(d.source, "source"));
    // A dataset on the pulling host; or `[user@]host:dataset` for a push line, so a
    // program can adopt (and then remove) the pushes operators used before pulls.
    p.check("target", d.target, (t) => endpointProblem(parseEndpoint(t), "target"));
    p.each("flags", d.flags, flagProblem);
    if (!isUnknown(d.flags) && d.flags.includes("--skip-parent") && !d.flags.some((f) => f === "--recursive" || f === "-r")) {
      p.add("flags", "--skip-parent does nothing without --recursive");
    }
  },
  // A pull moved to another host: stop the old one before the new one starts.
  deleteBeforeReplace: true,
  retired: { path: "the file is the host's, zfs-fleet:hosts.<host>.syncoidArgs in the stack config (default /etc/sanoid/syncoid-args.conf)" },
});

/** As the program gives them or a state holds them (see InputsOf). */
export type SyncoidPullInputs = InputsOf<typeof syncoidPullKind>;
/** As check returns them: what create and update receive. */
export type CheckedSyncoidPullInputs = CheckedInputsOf<typeof syncoidPullKind>;
export type SyncoidPullOutputs = OutputsOf<typeof syncoidPullKind>;
export type SyncoidPullArgs = ArgsOf<typeof syncoidPullKind>;
