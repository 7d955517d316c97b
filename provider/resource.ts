// The resource classes the program builds, derived from a kind's definition
// (kind.ts): the arguments' type, the defaults (the same ones check applies),
// secret inputs wrapped as secrets, and the outputs registered so that
// `resource.guid` and the like exist. The provider is the loader of shim.ts,
// a line of text naming the package and the kind.
import { sep } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ArgsOf, CheckedInputsOf, ResourceKind } from "./kind";
import { loaderFor, typeToken } from "./shim";

type Result<K extends ResourceKind<any, any>> = CheckedInputsOf<K> & import("zod").output<K["outputs"]>;

/** The outputs of a kind as properties of its class: `interface Dataset extends OutputProperties<typeof datasetKind> {}`. */
export type OutputProperties<K extends ResourceKind<any, any>> = { readonly [P in keyof Result<K>]-?: pulumi.Output<Result<K>[P]> };

/** What the class registers: the defaults, then the arguments, then every output still to come. */
export function propsOf<K extends ResourceKind<any, any>>(kind: K, args: ArgsOf<K>): Record<string, unknown> {
  const props: Record<string, unknown> = { ...structuredClone(kind.defaults), ...args };
  for (const f of kind.fields) if (f.secret && props[f.name] !== undefined) props[f.name] = pulumi.secret(props[f.name]);
  for (const name of kind.outputNames) props[name] = undefined;
  return props;
}

/**
 * A kind's base class, as its type declarations show it: a named
 * constructor type, since a class expression's own type cannot be written
 * into a .d.ts (the SDK's Resource has private members).
 */
export interface ResourceClass<K extends ResourceKind<any, any>> {
  new (name: string, args: ArgsOf<K>, opts?: pulumi.CustomResourceOptions): pulumi.CustomResource;
}

/**
 * The base class of a kind's resources: a dynamic resource, registered as
 * `pulumi-nodejs:dynamic/zfs:<type>` (the type is part of every URN: it must
 * not change), what `pulumi.dynamic.Resource` registers, but with the loader
 * as `__provider` instead of a serialized provider object (shim.ts). A kind
 * served by two classes (SanoidPolicy and SanoidTemplate) names the second
 * one's type.
 */
export function resourceClass<K extends ResourceKind<any, any>>(kind: K, type: string = kind.kind): ResourceClass<K> {
  return class extends pulumi.CustomResource {
    constructor(name: string, args: ArgsOf<K>, opts?: pulumi.CustomResourceOptions) {
      const limit = Error.stackTraceLimit;
      const prepare = Error.prepareStackTrace;
      if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
      // The SDK reads the registration's stack (its source position and stackTrace) through this.
      Error.prepareStackTrace = (error, frames) => (prepare ?? formatStack)(error, programFrames(frames));
      try {
        super(typeToken(type), name, { ...propsOf(kind, args), __provider: loaderFor(kind.kind) }, opts);
      } catch (err) {
        Error.stackTraceLimit = limit;
        Error.prepareStackTrace = prepare;
        // Its stack, taken here: where the program made the resource.
        if (err instanceof Error) Error.captureStackTrace(err);
        throw err;
      } finally {
        Error.stackTraceLimit = limit;
        Error.prepareStackTrace = prepare;
      }
      warnAbout(this, kind, args);
    }
  };
}

/** This package's own files: the classes' constructors (resource.ts, <kind>/index.ts) and its helpers. */
const OWN = `${__dirname}${sep}`;

/** V8's own format of a stack, for when nothing (ts-node's source maps) replaced it. */
const formatStack = (error: Error, frames: NodeJS.CallSite[]): string => `${String(error)}${frames.map((f) => `\n    at ${f}`).join("")}`;

/**
 * The frames of a registration's stack that say where the program made the resource. The SDK skips a
 * fixed count (its own frames and one subclass constructor) and records the rest: the source position
 * is the first frame left, and every frame goes into the state, down to the language host's (a
 * Dataset's stackTrace was 646 of its 2.5 KB). Our classes are two constructors deep (resourceClass's
 * and the kind's), so the SDK took `provider/<kind>/index.ts` for the program's line. Kept: the frames
 * before ours and the first of ours (what the SDK skips), then the program's, up to the first frame
 * of a package, of Node.js, or without a file (the loader that ran the program).
 */
export function programFrames(frames: NodeJS.CallSite[]): NodeJS.CallSite[] {
  const file = (f: NodeJS.CallSite) => f.getFileName() ?? "";
  const own = (f: NodeJS.CallSite) => file(f).startsWith(OWN);
  const program = (f: NodeJS.CallSite) => {
    const name = file(f);
    return !(name === "" || name.startsWith("node:") || name.includes(`${sep}node_modules${sep}`) || own(f));
  };
  const first = frames.findIndex(own);
  if (first < 0) return frames;
  const kept = frames.slice(0, first + 1);
  let i = first + 1;
  while (i < frames.length && own(frames[i])) i++;
  if (i < frames.length) kept.push(frames[i++]); // the caller, whatever it is
  while (i < frames.length && program(frames[i])) kept.push(frames[i++]);
  return kept;
}

// Why the registration runs with no stack traces (Error.stackTraceLimit 0, restored after it): the SDK
// gives each promise of a registration (one per property and then some; a Dataset has 16 properties) a
// stack trace, `new Error().stack`, which it shows only in the report of leaked promises that
// PULUMI_DEBUG_PROMISE_LEAKS asks for (and then they are kept). Under ts-node, which maps every frame
// through the source maps, those traces were half of a preview: 1000 Datasets previewed from their
// state in 57 to 60 s, 32 to 37 s with this, against 26 to 38 s for as many do-nothing resources
// (bench/floor.ts; measured off-lab on 2026-12-02, docs/bench.md). The resource's source position is
// unchanged: the SDK takes it with a limit of its own.

/**
 * Logs the kind's warnings about what the program asks for (kind.ts,
 * `warnings`) on the resource: the dynamic provider's check has no channel
 * for them, so the class says them, at every preview and up, once the inputs
 * they read are known. tools/review.ts lists them in the review.
 */
function warnAbout<K extends ResourceKind<any, any>>(resource: pulumi.Resource, kind: K, args: ArgsOf<K>): void {
  const w = kind.warnings;
  if (!w) return;
  const given = args as Record<string, unknown>;
  pulumi.all(w.from.map((name: string) => pulumi.output(given[name]))).apply((values) => {
    const inputs = Object.fromEntries(w.from.map((name: string, i: number) => [name, values[i]]));
    for (const message of w.of(inputs)) pulumi.log.warn(message, resource);
  });
}
