// The provider's public face: the program imports every resource class from
// provider/index.ts, and the dynamic-provider host finds every kind's lifecycle there. A class
// dropped from the exports would only show when a stack runs, so it is
// checked here.
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { describe, expect, it } from "vitest";
import * as api from "../../provider";

describe("provider/index.ts", () => {
  it("exports every resource class a program uses", () => {
    for (const name of ["Dataset", "Delegation", "NfsShare", "SanoidPolicy", "SanoidTemplate", "SyncoidPull"]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  // The registry requires these modules by path from the compiled provider (dist/); here, from the sources.
  it("has, for every kind, a lifecycle module whose check refuses empty input without a remote call", async () => {
    const modules = {
      Dataset: await import("../../provider/dataset/provider"),
      Delegation: await import("../../provider/delegation/provider"),
      NfsShare: await import("../../provider/nfs/provider"),
      SanoidPolicy: await import("../../provider/sanoid/provider"),
      SyncoidPull: await import("../../provider/syncoid/provider"),
    };
    expect(Object.keys(modules).sort()).toEqual(Object.keys(api.providers).sort());
    for (const [kind, m] of Object.entries(modules)) {
      for (const fn of ["check", "diff", "create", "read", "update", "remove"]) {
        expect(typeof (m as Record<string, unknown>)[fn], `${kind}.${fn}`).toBe("function");
      }
      const result = await m.check({}, {});
      expect(result.failures?.length, kind).toBeGreaterThan(0);
    }
    expect(Object.values(api.stats()).reduce((n, h) => n + h.commands, 0)).toBe(0);
  });

  // The dynamic-provider host encodes results as a protobuf Struct, which refuses undefined anywhere.
  it("hands the engine results it can encode: an undefined field dropped, an undefined list element null", async () => {
    const result = { id: "x", props: { a: 1, gone: undefined, list: [{ user: undefined, host: "off2" }, undefined], nested: { b: undefined, c: [] } } };
    expect(() => Struct.fromJavaScript(result.props as never)).toThrow(/Unexpected struct type/);
    const p = api.plain(result);
    expect(p).toStrictEqual({ id: "x", props: { a: 1, list: [{ host: "off2" }, null], nested: { c: [] } } });
    expect(() => Struct.fromJavaScript(p.props as never)).not.toThrow();
    // and what every kind's check, create, read and update return goes through it
    const odd = { source: { user: undefined, dataset: "a/b" } };
    const lifecycle = api.forEngine(() => ({
      check: async () => ({ inputs: odd }),
      diff: async () => ({ changes: false }),
      create: async () => ({ id: "x", outs: odd }),
      read: async () => ({ id: "x", props: odd }),
      update: async () => ({ outs: odd }),
      delete: async () => {},
    }));
    const made = { source: { dataset: "a/b" } };
    expect(await lifecycle.check({}, {})).toStrictEqual({ inputs: made });
    expect(await lifecycle.create({})).toStrictEqual({ id: "x", outs: made });
    expect(await lifecycle.read("x", {})).toStrictEqual({ id: "x", props: made });
    expect(await lifecycle.update("x", {}, {})).toStrictEqual({ outs: made });
  });
});
