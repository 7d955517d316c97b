// provider/kind.ts on a small kind of its own: Problems' helpers, check's one
// path (parse, unknown values, host rule, rules, normalize), diff's
// comparison (key order, custom equality, unknown values, what the provider
// adds), complete and the doc table.
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Problems, UNKNOWN, defineKind, hasUnknown, hostInput, isUnknown, renderInputs } from "../../provider/kind";

// Defined in each test, not when the file loads: mutation testing switches a
// change to defineKind on only once the tests run.
const makeKind = () =>
  defineKind({
  kind: "Dataset",
  inputs: z.object({
    host: hostInput(),
    name: z.string().meta({ description: "the name | with a pipe\nand a newline" }),
    tags: z.array(z.string()).default([]).meta({ description: "tags, in any order" }),
    props: z.record(z.string(), z.string()).default({}).meta({ description: "key/value pairs" }),
    size: z.number().default(1).meta({ description: "a number", onChange: "replace" }),
    mode: z.string().default("plain").meta({ description: "a string default" }),
    note: z.string().optional().meta({ description: "no effect", onChange: "ignore" }),
    token: z.string().optional().meta({ description: "a credential", secret: true }),
  }),
  outputs: z.object({ id: z.string().meta({ description: "an output" }) }),
  rules(d, p) {
    p.check("name", d.name, (n) => (n.startsWith("bad") ? `"${n}" is bad` : undefined));
    p.each("tags", d.tags, (t) => (t === "x" ? "no x" : undefined));
    p.unique("tags", d.tags);
    p.entries("props", d.props, (k, v) => (v === "" ? `${k} is empty` : undefined));
  },
  normalize: (d) => (isUnknown(d.tags) ? {} : { tags: [...d.tags].sort() }),
  same: { tags: (a: string[] = [], b: string[] = []) => [...a].sort().join() === [...b].sort().join() },
  deleteBeforeReplace: true,
});
let kind: ReturnType<typeof makeKind>;
beforeEach(() => {
  kind = makeKind();
});

const good = { host: "off2", name: "a" };

describe("Problems", () => {
  it("records a reason by field, and nothing for undefined", () => {
    const p = new Problems();
    p.add("a", undefined);
    p.add("b", "why");
    expect(p.failures).toEqual([{ property: "b", reason: "why" }]);
  });
  it("check skips an unknown value and passes a known one to the rule", () => {
    const p = new Problems();
    const seen: unknown[] = [];
    p.check("a", UNKNOWN, (v) => (seen.push(v), "no"));
    p.check("b", "v", (v) => (seen.push(v), "no"));
    expect(seen).toEqual(["v"]);
    expect(p.failures).toEqual([{ property: "b", reason: "no" }]);
  });
  it("each names the entry, skips an unknown list and unknown entries", () => {
    const p = new Problems();
    p.each("l", ["ok", "bad", UNKNOWN, "bad"], (v) => (v === "bad" ? "bad" : undefined));
    p.each("m", UNKNOWN as unknown as string[], () => "never");
    expect(p.failures).toEqual([
      { property: "l[1]", reason: "bad" },
      { property: "l[3]", reason: "bad" },
    ]);
  });
  it("entries names the key and gives the rule key and value; skips an unknown map and unknown values", () => {
    const p = new Problems();
    p.entries("m", { a: "1", b: "2", c: UNKNOWN }, (k, v) => `${k}=${v}`);
    p.entries("n", UNKNOWN as unknown as Record<string, string>, () => "never");
    expect(p.failures).toEqual([
      { property: "m.a", reason: "a=1" },
      { property: "m.b", reason: "b=2" },
    ]);
  });
  it("unique reports each entry listed more than once, once per extra copy, and skips an unknown list", () => {
    const p = new Problems();
    p.unique("l", ["a", "b", "a", "c", "b", "a"]);
    p.unique("ok", ["a", "b"]);
    p.unique("u", UNKNOWN as unknown as string[]);
    expect(p.failures).toEqual([{ property: "l", reason: "lists a, b, a more than once" }]);
  });
  it("an unknown value is recognised anywhere inside a value", () => {
    expect(isUnknown(UNKNOWN)).toBe(true);
    expect(isUnknown(`${UNKNOWN}x`)).toBe(false);
    expect(hasUnknown({ a: [1, { b: UNKNOWN }] })).toBe(true);
    expect(hasUnknown({ a: [1, { b: "x" }] })).toBe(false);
    expect(hasUnknown(undefined)).toBe(false);
    expect(hasUnknown(null)).toBe(false);
  });
});

describe("check", () => {
  it("fills defaults, normalizes, and stores only declared inputs (__provider is the SDK's, accepted and not stored)", () => {
    const { inputs, failures } = kind.check({ ...good, tags: ["b", "a"], __provider: "code" });
    expect(failures).toEqual([]);
    expect(inputs).toEqual({ ...good, tags: ["a", "b"], props: {}, size: 1, mode: "plain" });
  });
  it("refuses an input it does not declare, whatever its value, naming the kind's inputs; an undefined one is no input", () => {
    const { inputs, failures } = kind.check({ ...good, extra: "x", other: 0, gone: undefined });
    const reason = "is not an input of Dataset (its inputs: host, name, tags, props, size, mode, note, token)";
    expect(failures).toEqual([
      { property: "extra", reason },
      { property: "other", reason },
    ]);
    expect(inputs).not.toHaveProperty("extra");
  });
  it("runs the kind's rules over the parsed values and names each field", () => {
    const { failures } = kind.check({ ...good, name: "bad1", tags: ["x", "y", "y"], props: { k: "" } });
    expect(failures).toEqual([
      { property: "name", reason: '"bad1" is bad' },
      { property: "tags[0]", reason: "no x" },
      { property: "tags", reason: "lists y more than once" },
      { property: "props.k", reason: "k is empty" },
    ]);
  });
  it("applies the host rule first: a host name's form, then the configured hosts", () => {
    expect(kind.check({ ...good, host: "Off2", name: "bad" }).failures.map((f) => f.property)).toEqual(["host", "name"]);
    expect(kind.check(good, ["off1"]).failures).toEqual([{ property: "host", reason: '"off2" is not in the stack\'s zfs-fleet:hosts (known: off1)' }]);
    expect(kind.check(good, ["off1", "off2"]).failures).toEqual([]);
  });
  it("a type error stops at the parse, names its path, and returns the inputs as given", () => {
    const news = { ...good, tags: ["a", 1], props: { k: 2 } };
    const { inputs, failures } = kind.check(news);
    expect(failures.map((f) => f.property)).toEqual(["tags.1", "props.k"]);
    expect(inputs).toBe(news);
    expect(kind.check({ host: "off2" }).failures.map((f) => f.property)).toEqual(["name"]);
  });
  it("a refusal of the inputs as a whole is named (inputs)", () => {
    const strict = defineKind({
      kind: "Dataset",
      inputs: z.object({ host: hostInput(), a: z.string().optional().meta({ description: "a or b, not both" }) }).refine((v) => v.a !== "x", "not x") as never,
      outputs: z.object({}),
      deleteBeforeReplace: false,
    });
    expect(strict.check({ host: "off2", a: "x" }).failures).toEqual([{ property: "(inputs)", reason: "not x" }]);
    expect(strict.check({ host: "off2", a: "y" }).failures).toEqual([]);
  });
  it("an unknown input passes whatever its type, the others are still checked, and it is not normalized", () => {
    const { inputs, failures } = kind.check({ ...good, tags: UNKNOWN, size: UNKNOWN, name: "bad2" });
    expect(failures).toEqual([{ property: "name", reason: '"bad2" is bad' }]);
    expect(inputs).toMatchObject({ tags: UNKNOWN, size: UNKNOWN, props: {}, mode: "plain" });
    expect(kind.check({ ...good, host: UNKNOWN }, ["off1"]).failures).toEqual([]);
  });
});

describe("diff", () => {
  const state = { ...good, tags: ["a", "b"], props: { x: "1", y: "2" }, size: 1, mode: "plain", note: "n", id: "1" };

  it("compares values, not their spelling: keys in another order, the kind's own equality", () => {
    expect(kind.diff(state, { ...state, props: { y: "2", x: "1" }, tags: ["b", "a"] }).changes).toBe(false);
    expect(kind.diff(state, { ...state, props: { x: "1", y: "3" } }).changes).toBe(true);
    expect(kind.diff(state, { ...state, props: { x: "1" } }).changes).toBe(true);
    expect(kind.diff(state, { ...state, tags: ["a"] }).changes).toBe(true);
  });
  it("compares maps by their keys in order, however many and however written", () => {
    const keys = ["d", "b", "a", "c", "e"];
    const map = (order: string[]) => Object.fromEntries(order.map((k) => [k, k.toUpperCase()]));
    for (const order of [keys, [...keys].reverse(), ["a", "b", "c", "d", "e"], ["c", "e", "a", "d", "b"]]) {
      expect(kind.diff({ ...state, props: map(keys) }, { ...state, props: map(order) }).changes, order.join()).toBe(false);
    }
    expect(kind.diff({ ...state, props: map(keys) }, { ...state, props: { ...map(keys), c: "x" } }).changes).toBe(true);
    expect(kind.diff(state, { ...state, size: [1] as never }).changes).toBe(true);
  });
  it("an input missing on either side is its default", () => {
    const { size: _s, mode: _m, ...older } = state;
    expect(kind.diff(older, state).changes).toBe(false);
    expect(kind.diff(state, older).changes).toBe(false);
    expect(kind.diff(older, { ...state, mode: "other" }).changes).toBe(true);
  });
  it("an input that changes nothing is ignored; an optional one without default compares as given", () => {
    expect(kind.diff(state, { ...state, note: "m" }).changes).toBe(false);
    expect(kind.diff(state, { ...state, token: "t" }).changes).toBe(true);
    expect(kind.diff({ ...state, token: "t" }, state).changes).toBe(true);
  });
  it("a replacing input replaces; outputs and unknown inputs are not inputs", () => {
    expect(kind.diff(state, { ...state, size: 2 })).toEqual({ changes: true, replaces: ["size"], deleteBeforeReplace: true });
    expect(kind.diff(state, { ...state, id: "2" }).changes).toBe(false);
    expect(kind.diff(state, { ...state, tags: ["a", UNKNOWN] })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
  });
  it("adds the provider's replacements once, after the inputs'", () => {
    expect(kind.diff(state, { ...state, size: 2 }, { replaces: ["size", "name"] }).replaces).toEqual(["size", "name"]);
    expect(kind.diff(state, state, { replaces: ["name"] })).toMatchObject({ changes: true, replaces: ["name"] });
    expect(kind.diff(state, state, { changed: true })).toMatchObject({ changes: true, replaces: [] });
    expect(kind.diff(state, state, {})).toMatchObject({ changes: false, replaces: [] });
  });
});

describe("complete", () => {
  it("fills what a state lacks with a copy of the default, and keeps what it has", () => {
    const a = kind.complete({ host: "off2", name: "a", size: 5 });
    expect(a).toEqual({ host: "off2", name: "a", size: 5, tags: [], props: {}, mode: "plain" });
    a.tags.push("changed");
    expect(kind.complete({ host: "off2" }).tags).toEqual([]);
    expect(kind.complete({ tags: ["t"], mode: undefined })).toMatchObject({ tags: ["t"], mode: "plain" });
  });
});

describe("the doc table", () => {
  it("has a row per input: name, doc (escaped, secrets marked), default or required/optional, what a change does", () => {
    expect(renderInputs(kind).split("\n")).toEqual([
      "| input | meaning | default | a change |",
      "| --- | --- | --- | --- |",
      "| `host` | the host, as named in the stack's `zfs-fleet:hosts` | required | replaces |",
      "| `name` | the name \\| with a pipe and a newline | required | updates |",
      "| `tags` | tags, in any order | `[]` | updates |",
      "| `props` | key/value pairs | `{}` | updates |",
      "| `size` | a number | `1` | replaces |",
      "| `mode` | a string default | `plain` | updates |",
      "| `note` | no effect | optional | nothing |",
      "| `token` | a credential (secret) | optional | updates |",
    ]);
  });
  it("knows each field's facts", () => {
    expect(kind.fields.find((f) => f.name === "token")).toEqual({ name: "token", doc: "a credential", required: false, onChange: "update", secret: true });
    expect(kind.fields.find((f) => f.name === "size")).toEqual({ name: "size", doc: "a number", default: 1, required: false, onChange: "replace", secret: false });
    expect(kind.defaults).toEqual({ tags: [], props: {}, size: 1, mode: "plain" });
    expect(kind.outputNames).toEqual(["id"]);
  });
  it("an input without a doc line is refused when the kind is defined", () => {
    expect(() =>
      defineKind({ kind: "NfsShare", inputs: z.object({ host: hostInput(), x: z.string() }), outputs: z.object({}), deleteBeforeReplace: false }),
    ).toThrow(/NfsShare\.x: an input needs a doc line/);
  });
});
