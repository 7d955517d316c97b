// The resource classes the program builds, derived from a kind's definition
// (kind.ts): the arguments' type, the defaults (the same ones check applies),
// secret inputs wrapped as secrets, and the outputs registered so that
// `resource.guid` and the like exist. The provider is the loader of shim.ts,
// a line of text naming the package and the kind.
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
      if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
      try {
        super(typeToken(type), name, { ...propsOf(kind, args), __provider: loaderFor(kind.kind) }, opts);
      } catch (err) {
        Error.stackTraceLimit = limit;
        // Its stack, taken here: where the program made the resource.
        if (err instanceof Error) Error.captureStackTrace(err);
        throw err;
      } finally {
        Error.stackTraceLimit = limit;
      }
      warnAbout(this, kind, args);
    }
  };
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
