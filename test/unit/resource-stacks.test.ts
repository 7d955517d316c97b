// A resource's registration runs without the SDK's per-promise stack traces (provider/resource.ts),
// unless PULUMI_DEBUG_PROMISE_LEAKS asks for them (the only time the SDK shows them); the limit is
// restored after it, and an error thrown from inside the registration still says where the program
// made the resource. The engine is Pulumi's mocks.
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The SDK's own module object, which its registration calls through: every promise it makes passes here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: (p: Promise<unknown>, ctx: unknown) => Promise<unknown> };
const original = debuggable.debuggablePromise;
const frames: number[] = [];

// The SDK's registration, which receives the resource's source position and stack trace.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const registration = require("@pulumi/pulumi/runtime/resource") as { registerResource: (...args: unknown[]) => unknown };
const register = registration.registerResource;
type Position = { uri: string; line: number; column: number } | undefined;
const positions: { sourcePosition: Position; stackTrace: Position[] }[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: () => ({}) });
  debuggable.debuggablePromise = (p, ctx) => {
    frames.push((new Error().stack ?? "").split("\n").length - 1);
    return original(p, ctx);
  };
  registration.registerResource = (...args: unknown[]) => {
    positions.push({ sourcePosition: args[9] as Position, stackTrace: args[10] as Position[] });
    return register(...args);
  };
});
afterAll(() => {
  debuggable.debuggablePromise = original;
  registration.registerResource = register;
  delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
});

describe("a resource's registration", () => {
  it("gives the SDK's promises no stack traces, and restores the limit after it", async () => {
    const { Dataset } = await import("../../provider/dataset");
    const limit = Error.stackTraceLimit;
    frames.length = 0;
    new Dataset("quiet", { host: "off1", name: "zfs-nvme/quiet" });
    expect(frames.length).toBeGreaterThan(15); // one or more per property, made while the constructor runs
    expect(new Set(frames)).toEqual(new Set([0]));
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("records the program's line as the source position, and a stack of the program's frames only", async () => {
    const { Dataset } = await import("../../provider/dataset");
    // A named function: the SDK reads a frame's position only from "at name (file:line:column)".
    function makePlaced() {
      return new Dataset("placed", { host: "off1", name: "zfs-nvme/placed" });
    }
    positions.length = 0;
    makePlaced();
    expect(positions).toHaveLength(1);
    const { sourcePosition, stackTrace } = positions[0];
    // Not provider/dataset/index.ts (the kind's class), nor provider/resource.ts: this file's line.
    expect(sourcePosition?.uri).toMatch(/\/test\/unit\/resource-stacks\.test\.ts$/);
    expect(stackTrace[0]).toEqual(sourcePosition);
    // The test's own (anonymous) frame follows; vitest's and Node.js's below it are not recorded.
    expect(stackTrace).toHaveLength(2);
    expect(stackTrace[1]?.uri ?? "this file, anonymous").not.toMatch(/node_modules|^node:/);
  });

  it("keeps them when PULUMI_DEBUG_PROMISE_LEAKS asks for the leaked promises' report", async () => {
    const { Dataset } = await import("../../provider/dataset");
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    frames.length = 0;
    new Dataset("debugged", { host: "off1", name: "zfs-nvme/debugged" });
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    expect(frames.length).toBeGreaterThan(15);
    expect(Math.min(...frames)).toBeGreaterThan(0);
  });

  it("lets an error thrown inside it say where the program made the resource, the limit restored", async () => {
    const { Dataset } = await import("../../provider/dataset");
    const limit = Error.stackTraceLimit;
    let thrown: unknown;
    try {
      new Dataset(undefined as unknown as string, { host: "off1", name: "zfs-nvme/x" });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/Missing resource name/);
    expect((thrown as Error).stack).toMatch(/resource-stacks\.test\.ts/);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
