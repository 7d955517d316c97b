import { describe, expect, it } from "vitest";
import { fleetStacks } from "../../tools/fleet";
import { schedule } from "../../tools/runner";

describe("the order stacks run in, from what they read", () => {
  it("runs the real fleet as off2, off1, ovh3: off2 is read by the most pulls, and the off1 <-> off2 cycle is broken there", () => {
    for (const lab of [false, true]) {
      const p = lab ? "lab-" : "";
      const s = schedule(fleetStacks(lab));
      expect(s.order).toEqual([`${p}off2`, `${p}off1`, `${p}ovh3`]);
      expect(s.after).toEqual({ [`${p}off2`]: [], [`${p}off1`]: [`${p}off2`], [`${p}ovh3`]: [`${p}off1`, `${p}off2`] });
      expect(s.broken).toEqual([[`${p}off2`, `${p}off1`]]);
    }
  });

  it("derives who reads whom from the pulls the fleet declares", () => {
    expect(fleetStacks(false).map((s) => [s.name, Object.keys(s.reads).sort()])).toEqual([
      ["off1", ["off2"]],
      ["off2", ["off1"]],
      ["ovh3", ["off1", "off2"]],
    ]);
  });

  it("lets stacks that read neither way run side by side, and a reader after what it reads", () => {
    const s = schedule([
      { name: "c", reads: { a: 1 } },
      { name: "a", reads: {} },
      { name: "b", reads: {} },
    ]);
    expect(s.after).toEqual({ a: [], b: [], c: ["a"] });
    expect(s.order).toEqual(["a", "b", "c"]);
    expect(s.broken).toEqual([]);
  });

  it("breaks a cycle the same way every time: the stack read the most, then the first listed", () => {
    expect(schedule([{ name: "x", reads: { y: 1 } }, { name: "y", reads: { x: 1 } }]).order).toEqual(["x", "y"]);
    expect(schedule([{ name: "x", reads: { y: 1 } }, { name: "y", reads: { x: 2 } }]).order).toEqual(["x", "y"]);
    expect(schedule([{ name: "x", reads: { y: 2 } }, { name: "y", reads: { x: 1 } }]).order).toEqual(["y", "x"]);
    expect(schedule([{ name: "x", reads: { y: 2 } }, { name: "y", reads: { x: 1 } }]).broken).toEqual([["y", "x"]]);
  });

  it("ignores references to stacks outside the fleet", () => {
    expect(schedule([{ name: "a", reads: { elsewhere: 3 } }]).after).toEqual({ a: [] });
  });
});
