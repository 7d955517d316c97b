// The provider's public face: the program imports every resource class from
// provider/index.ts, and the shims find every kind's lifecycle there. A class
// dropped from the exports would only show when a stack runs, so it is
// checked here.
import { describe, expect, it } from "vitest";
import * as api from "../../provider";

describe("provider/index.ts", () => {
  it("exports every resource class a program uses", () => {
    for (const name of ["Dataset", "Delegation", "NfsShare", "SanoidPolicy", "SanoidTemplate", "SyncoidPull"]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe("function");
    }
  });

  it("loads every kind's lifecycle, whose check refuses empty input without a remote call", async () => {
    for (const kind of ["Dataset", "Delegation", "NfsShare", "SanoidPolicy", "SyncoidPull"] as const) {
      const result = await api.providers[kind].check({}, {});
      expect(result.failures?.length, kind).toBeGreaterThan(0);
    }
    expect(Object.values(api.stats()).reduce((n, h) => n + h.commands, 0)).toBe(0);
  });
});
