// One declaration per resource kind (after pulumi-command's one struct of
// inputs): a zod object whose fields say each input's type, default, doc line
// (`.meta({ description })`), whether it is a secret and what a change of it
// does (`onChange`). Everything else is derived from it:
//
// - the types: CheckedInputsOf (what check returns, and create and update
//   receive), InputsOf and OutputsOf (what a state holds: an input added
//   with a default since it was written is missing), ArgsOf (the resource
//   class's arguments: every field a pulumi.Input, optional where it has a
//   default);
// - the class's defaults (resource.ts), the same ones check applies;
// - check: the one path every kind goes through (parse, field-named
//   failures, the host rule, unknown values), then the kind's own rules;
// - diff: which inputs changed, and which of those replace the resource;
// - the warnings the class logs on a resource (resource.ts), from `warnings`;
// - the doc page's input table (renderInputs, checked by test/unit/docs.test.ts).
//
// Pure: no remote call, no engine. The lifecycle modules (<kind>/provider.ts)
// and the classes (<kind>/index.ts) both start from a kind's definition
// (<kind>/schema.ts).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { controlProblem, escaped, hostNameProblem, shown } from "./names";
import type { Kind } from "./shim";

declare module "zod/v4/core" {
  interface GlobalMeta {
    /** What a change of this input does: update the resource in place (the default), replace it, or nothing. */
    onChange?: "update" | "replace" | "ignore";
    /** Kept encrypted in the state (pulumi.secret). */
    secret?: boolean;
  }
}

/** The engine's marker for a value not known at preview (an output of a resource not created yet). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const isUnknown = (v: unknown): boolean => v === UNKNOWN;
/** True when a value, or anything inside it, is unknown at preview. */
export const hasUnknown = (v: unknown): boolean => JSON.stringify(v ?? null).includes(UNKNOWN);

export interface Failure {
  property: string;
  reason: string;
}

/** What a kind's rules report: a reason per field, for values known at preview. */
export class Problems {
  readonly failures: Failure[] = [];

  /** Records `reason` against `property`, when there is one. */
  add(property: string, reason: string | undefined): void {
    if (reason !== undefined) this.failures.push({ property, reason });
  }

  /** Applies `rule` to a value, unless the value is unknown at preview. */
  check<T>(property: string, value: T, rule: (value: T) => string | undefined): void {
    if (!isUnknown(value)) this.add(property, rule(value));
  }

  /** Applies `rule` to each entry of a list, naming the entry (`permissions[1]`); nothing when the list is unknown. */
  each<T>(property: string, list: readonly T[], rule: (value: T) => string | undefined): void {
    if (!isUnknown(list)) list.forEach((value, i) => this.check(`${property}[${i}]`, value, rule));
  }

  /** Applies `rule` to each key and value of a map, naming the key (`properties.quota`, shown escaped); nothing when the map is unknown. */
  entries<T>(property: string, map: Record<string, T>, rule: (key: string, value: T) => string | undefined): void {
    if (!isUnknown(map)) for (const [key, value] of Object.entries(map)) this.check(`${property}.${escaped(key)}`, value, (v) => rule(key, v));
  }

  /** Reports entries listed more than once. */
  unique(property: string, list: readonly string[]): void {
    if (isUnknown(list)) return;
    const dups = list.filter((v, i) => list.indexOf(v) !== i);
    if (dups.length) this.add(property, `lists ${dups.join(", ")} more than once`);
  }
}

/** Every kind manages something on one host of the stack. */
type Shape = z.ZodRawShape & { host: z.ZodString };

export interface KindSpec<I extends z.ZodObject<Shape>, O extends z.ZodObject> {
  /** The kind, as shim.ts and index.ts know it. */
  kind: Kind;
  inputs: I;
  /** What create, read and update add to the inputs (types and doc lines; never validated). */
  outputs: O;
  /**
   * The kind's rules over parsed inputs, beyond their types: names, values,
   * fields that go together. An input unknown at preview is the UNKNOWN
   * string whatever its type: Problems' helpers skip it, and a rule that
   * looks at one directly must too.
   */
  rules?: (inputs: z.output<I>, problems: Problems) => void;
  /** What check stores instead of what was given, for fields whose form does not matter (a sorted list). */
  normalize?: (inputs: z.output<I>) => Partial<z.output<I>>;
  /** Equality for diff, for fields where "the same JSON" is not what the field means; given known values. */
  same?: { [K in keyof z.output<I>]?: (a: z.output<I>[K], b: z.output<I>[K]) => boolean };
  /** Whether a replacement removes the old resource before it creates the new one. */
  deleteBeforeReplace: boolean;
  /**
   * Inputs the kind no longer has, with what replaced them: check refuses one
   * given by a program (saying so), and a state that still holds one reads as
   * if it did not (complete drops it), so an older state shows no change.
   */
  retired?: Readonly<Record<string, string>>;
  /**
   * What the inputs ask for that is allowed but worth a reviewer's eye (a
   * grant to everyone, a permission Linux does not honour): the resource
   * class logs each as a warning on the resource at every preview and up,
   * once the inputs named in `from` are known. Pure.
   */
  warnings?: { from: readonly (keyof z.input<I> & string)[]; of: (inputs: Partial<z.input<I>>) => string[] };
}

/** One input, as the doc table shows it. */
export interface Field {
  name: string;
  doc: string;
  /** The default, when the input has one (JSON). */
  default?: unknown;
  required: boolean;
  onChange: "update" | "replace" | "ignore";
  secret: boolean;
}

export interface ResourceKind<I extends z.ZodObject<Shape> = z.ZodObject<Shape>, O extends z.ZodObject = z.ZodObject>
  extends KindSpec<I, O> {
  fields: readonly Field[];
  /** The defaults of the inputs that have one, as check applies them. */
  defaults: Partial<z.output<I>>;
  outputNames: readonly string[];
  /** A state as it reads now: the inputs it lacks (added, with a default, since it was written) are their defaults. */
  complete<T extends object>(state: T): T & z.output<I>;
  /**
   * The one check path: an input the kind does not declare is refused; parse
   * (types and defaults; an input unknown at preview passes as it is), the
   * host rule (a host of `configuredHosts`, once the provider is configured),
   * then the kind's rules; and any control character anywhere in the inputs
   * is refused (unsafeValues). Failures name the field; only declared inputs
   * are returned.
   */
  check(news: Record<string, unknown>, configuredHosts?: readonly string[]): { inputs: Record<string, unknown>; failures: Failure[] };
  /**
   * Compares the old outputs with the new inputs, input by input (an input
   * missing from an old state is its default): a change of an `onChange:
   * "replace"` input replaces the resource, and so does an unknown one (a
   * preview must not promise less than the update does). `__provider` is no
   * input, so a change of the provider's code alone is no change.
   */
  diff(olds: Record<string, unknown>, news: Record<string, unknown>, more?: { replaces?: string[]; changed?: boolean }): Required<Pick<pulumi.dynamic.DiffResult, "changes" | "replaces" | "deleteBeforeReplace">>;
}

/** Inputs as the program gives them or a state holds them: an input with a default may be missing. */
export type InputsOf<K extends ResourceKind<any, any>> = z.input<K["inputs"]>;
/** Inputs as check returns them, every default applied: what create and update receive. */
export type CheckedInputsOf<K extends ResourceKind<any, any>> = z.output<K["inputs"]>;
/** A resource's state: its inputs (as InputsOf) and the kind's outputs. */
export type OutputsOf<K extends ResourceKind<any, any>> = InputsOf<K> & z.output<K["outputs"]>;

type DeepInput<T> = T extends readonly (infer E)[]
  ? pulumi.Input<DeepInput<E>>[]
  : T extends object
    ? { [P in keyof T]: pulumi.Input<DeepInput<T[P]>> }
    : T;

/** The resource class's arguments: every input a pulumi.Input (inside lists and objects too), optional where it has a default. */
export type ArgsOf<K extends ResourceKind<any, any>> = { [P in keyof z.input<K["inputs"]>]: pulumi.Input<DeepInput<z.input<K["inputs"]>[P]>> };

/** The host input every kind has. */
export const hostInput = (description = "the host, as named in the stack's `zfs-fleet:hosts`") =>
  z.string().meta({ description, onChange: "replace" });

/** JSON with object keys in order, so that equal values compare equal whatever order they were written in. */
function canonical(v: unknown): string | undefined {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

interface JsonSchemaField {
  description?: string;
  default?: unknown;
  onChange?: Field["onChange"];
  secret?: boolean;
}

export function defineKind<I extends z.ZodObject<Shape>, O extends z.ZodObject>(spec: KindSpec<I, O>): ResourceKind<I, O> {
  const json = z.toJSONSchema(spec.inputs, { io: "input" }) as { properties: Record<string, JsonSchemaField>; required?: string[] };
  const fields: Field[] = Object.keys(spec.inputs.shape).map((name) => {
    const f = json.properties[name];
    if (!f.description) throw new Error(`${spec.kind}.${name}: an input needs a doc line (.meta({ description }))`);
    return {
      name,
      doc: f.description,
      ...("default" in f ? { default: f.default } : {}),
      required: (json.required ?? []).includes(name),
      onChange: f.onChange ?? "update",
      secret: f.secret ?? false,
    };
  });
  const defaults = Object.fromEntries(fields.filter((f) => "default" in f).map((f) => [f.name, f.default])) as Partial<z.output<I>>;
  const same = (spec.same ?? {}) as Record<string, ((a: unknown, b: unknown) => boolean) | undefined>;
  const names = new Set(fields.map((f) => f.name));
  const retired = (spec.retired ?? {}) as Record<string, string>;

  /** Every input a kind accepts is declared: another name is refused, whatever its value. */
  const undeclared = (news: Record<string, unknown>): Failure[] =>
    Object.keys(news)
      .filter((k) => k !== "__provider" && !names.has(k) && news[k] !== undefined)
      .map((k) => ({
        property: k,
        reason: Object.prototype.hasOwnProperty.call(retired, k)
          ? `is no longer an input of ${spec.kind}: ${retired[k]}`
          : `is not an input of ${spec.kind} (its inputs: ${[...names].join(", ")})`,
      }));
  const valueOf = (state: Record<string, unknown>, name: string) => state[name] ?? (defaults as Record<string, unknown>)[name];

  return {
    ...spec,
    fields,
    defaults,
    outputNames: Object.keys(spec.outputs.shape),

    complete<T extends object>(state: T) {
      const out = { ...state } as Record<string, unknown>;
      for (const name of Object.keys(spec.retired ?? {})) delete out[name];
      for (const [name, value] of Object.entries(defaults)) if (out[name] === undefined) out[name] = structuredClone(value);
      return out as T & z.output<I>;
    },

    check(news, configuredHosts = []) {
      const failures = undeclared(news);
      const unknown = fields.filter((f) => isUnknown(news[f.name])).map((f) => f.name);
      const schema = unknown.length ? spec.inputs.omit(Object.fromEntries(unknown.map((k) => [k, true]))) : spec.inputs;
      const parsed = schema.safeParse(news);
      let inputs: Record<string, unknown> = news;
      if (!parsed.success) {
        failures.push(...parsed.error.issues.map((i) => ({ property: i.path.map(String).join(".") || "(inputs)", reason: i.message })));
      } else {
        const d = { ...parsed.data, ...Object.fromEntries(unknown.map((k) => [k, UNKNOWN])) } as z.output<I>;
        const problems = new Problems();
        problems.check("host", d.host, (h) => hostNameProblem(h, configuredHosts));
        spec.rules?.(d, problems);
        failures.push(...problems.failures);
        // Only declared inputs are stored (the SDK adds __provider back).
        inputs = { ...d, ...spec.normalize?.(d) };
      }
      // Whatever the kind's own rules said, no control character reaches a file or a command line.
      const covered = (p: string) => failures.some((f) => p === f.property || p.startsWith(`${f.property}.`) || p.startsWith(`${f.property}[`));
      failures.push(...unsafeValues(news).filter((f) => !covered(f.property)));
      return { inputs, failures };
    },

    diff(olds, news, more = {}) {
      const changed: string[] = [];
      const replaces: string[] = [];
      for (const f of fields) {
        if (f.onChange === "ignore") continue;
        const a = valueOf(olds, f.name);
        const b = valueOf(news, f.name);
        const unknown = hasUnknown(b);
        const equal = !unknown && (same[f.name] ? same[f.name]!(a, b) : canonical(a) === canonical(b));
        if (equal) continue;
        changed.push(f.name);
        if (f.onChange === "replace") replaces.push(f.name);
      }
      for (const r of more.replaces ?? []) if (!replaces.includes(r)) replaces.push(r);
      return { changes: changed.length > 0 || replaces.length > 0 || more.changed === true, replaces, deleteBeforeReplace: spec.deleteBeforeReplace };
    },
  };
}

/**
 * Strings anywhere in the inputs (values and map keys) that must not reach a
 * file or a command line: control characters, and `__proto__` as a key (it
 * would set an object's prototype instead of an entry). Named by their path.
 * (No kind has an input that must carry a newline; a secret one that must,
 * a key, would be exempted here and checked by its kind's rules.)
 */
export function unsafeValues(value: unknown, path = ""): Failure[] {
  const at = (k: string | number) => (typeof k === "number" ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  if (typeof value === "string") {
    const problem = controlProblem(value);
    return problem ? [{ property: path || "(inputs)", reason: `${shown(value)} ${problem}` }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unsafeValues(v, at(i)));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => {
      if (path === "" && k === "__provider") return [];
      const key = k === "__proto__" ? "is refused as a key (it would set an object's prototype, not an entry)" : controlProblem(k);
      if (key) return [{ property: at(escaped(k)), reason: `the key ${shown(k)} ${key}` }];
      return unsafeValues(v, at(k));
    });
  }
  return [];
}

/** The input table of a kind's doc page, written from its definition. */
export function renderInputs(kind: ResourceKind<any, any>): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const value = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;
  const rows = kind.fields.map((f) => {
    const dflt = "default" in f ? value(f.default) : f.required ? "required" : "optional";
    const change = f.onChange === "replace" ? "replaces" : f.onChange === "ignore" ? "nothing" : "updates";
    return `| \`${f.name}\` | ${cell(f.doc)}${f.secret ? " (secret)" : ""} | ${dflt} | ${change} |`;
  });
  return ["| input | meaning | default | a change |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
