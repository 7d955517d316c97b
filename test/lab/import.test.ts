// Importing each seeded lab host (the fleet before the 2024-03 restructure)
// and applying the written program through the real engine: the import
// reads each host in one remote command over one connection and writes the
// legacy description stacks/fleet.ts has by hand (the same resources and
// inputs; test/unit/import-fleet.test.ts says what differs); the first `up`
// of the written program adopts everything and changes nothing on the host
// (the files' checksums, every property and grant, and no write command in
// the provider's log), and the next preview shows no change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeHost } from "../../provider/import/describe";
import { parseHostOutput } from "../../provider/import/facts";
import { COUNT, fromFleet, fromImport } from "../unit/fleet-compare";
import type { TestStack } from "./engine";
import { DEFAULT_FILES, type Imported, costLine, hostState, importHost, importedStack, writesOf } from "./import-support";
import { HOSTS, type HostName, closeConnections, seedLegacy } from "./support";

describe("importing the seeded lab hosts", () => {
  const imported = new Map<HostName, Imported>();
  const before = new Map<HostName, string>();
  const stacks = new Map<HostName, TestStack>();

  beforeAll(async () => {
    await seedLegacy();
    for (const h of HOSTS) before.set(h, await hostState(h, DEFAULT_FILES));
  });
  afterAll(async () => {
    for (const s of stacks.values()) await s.dispose();
    await closeConnections();
  });

  it.each(HOSTS)("%s: the import reads the host in one remote command over one connection, writing nothing", async (h) => {
    const i = await importHost(h);
    imported.set(h, i);
    console.log(costLine(`seeded ${h}`, i.report));
    expect(i.report).toMatchObject({ commands: 1, connections: 1 });
    expect(i.commands.filter((c) => c.event === "command")).toHaveLength(1);
    expect(writesOf(i.commands)).toEqual([]);
    expect(await hostState(h, DEFAULT_FILES)).toBe(before.get(h));
  });

  it.each(HOSTS)("%s: it describes what stacks/fleet.ts's legacy layout describes", (h) => {
    const { saved } = imported.get(h)!;
    const d = describeHost(h, parseHostOutput(saved.stdout, saved.nonce, saved.paths));
    const fleet = fromFleet(h);
    const mine = fromImport(d);
    expect([...mine.keys()].sort()).toEqual([...fleet.keys()].sort());
    expect(mine.size).toBe(COUNT[h]);
  });

  it.each(HOSTS)("%s: the first up of the written program adopts everything and changes nothing on the host", async (h) => {
    const stack = await importedStack(`import-${h}`, h, imported.get(h)!.module);
    stacks.set(h, stack);
    stack.takeCommands();
    await stack.up();
    const commands = stack.takeCommands();
    expect(writesOf(commands)).toEqual([]);
    expect(await hostState(h, DEFAULT_FILES)).toBe(before.get(h));
    const datasets = (await stack.outputs()).datasets as Record<string, string>;
    expect(Object.keys(datasets)).toHaveLength(imported.get(h)!.report.counts.datasets);
  });

  it.each(HOSTS)("%s: the next preview shows no change", async (h) => {
    const stack = stacks.get(h)!;
    const preview = JSON.parse(await stack.pulumi("preview", "--json", "--expect-no-changes"));
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
    expect(writesOf(stack.takeCommands())).toEqual([]);
  });
});
