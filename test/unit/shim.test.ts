// What a resource's state holds as its provider (`__provider`, provider/shim.ts), run as the
// dynamic-provider host runs it: the text evaluated as a module by the host's own loader
// (require-from-string), `handler()` called, then `configure` and the lifecycle. The loader that
// the classes register today and the serialized shims in states written by 0.2.0
// (test/fixtures/zfs-fleet-0.2.0/) must both reach the checked-out provider: the compiled package
// (`make build`), required by name from the project as the host does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Config } from "@pulumi/pulumi/cmd/dynamic-provider/config";
import { beforeAll, describe, expect, it } from "vitest";
import { loaderFor, type Kind } from "../../provider/shim";
import { knownHosts } from "../../provider/transport";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require("require-from-string") as (code: string) => { handler: () => pulumi.dynamic.ResourceProvider };
const KINDS: Kind[] = ["Dataset", "Delegation", "NfsShare", "SanoidPolicy", "SyncoidPull"];
const fixture = (name: string) => readFileSync(join(__dirname, "../fixtures/zfs-fleet-0.2.0", name), "utf8");
const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIBqnKPCxidCFf29DV/lcrgg81GsTfMhpa0O+Z2VF2RJT";
const configOf = (host: string) =>
  new Config({ "zfs-fleet:hosts": JSON.stringify({ [host]: { address: "192.0.2.9", port: 22, hostKey: `ssh-ed25519 ${ED}` } }) }, "some-project");

/** What the host does with `__provider`: evaluate it, take the handler's provider. */
const hostLoads = (text: string) => requireFromString(text).handler();

const dataset = { host: "off1", name: "zfs-nvme/off/images", properties: { compression: "zstd" } };

describe("the provider stored in each resource's state", () => {
  it("is what every class registers, under the type token pulumi.dynamic.Resource gave it (URNs unchanged)", async () => {
    const registered: { type: string; provider: unknown }[] = [];
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        registered.push({ type: args.type, provider: args.inputs.__provider });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => ({}),
    });
    const api = await import("../../provider");
    new api.Dataset("d", { host: "off1", name: "zfs-nvme/a" });
    new api.Delegation("g", { host: "off1", dataset: "zfs-nvme/a", who: { user: "u" }, permissions: ["send"] });
    new api.NfsShare("n", { host: "off1", dataset: "zfs-nvme/a", clients: [{ address: "10.0.0.1", access: "ro" }] });
    new api.SanoidPolicy("p", { host: "off1", dataset: "zfs-nvme/a", templates: ["t"] });
    new api.SanoidTemplate("t", { host: "off1", name: "t", settings: { daily: "7" } });
    new api.SyncoidPull("s", { host: "off1", source: { host: "off2.example", dataset: "zfs-hdd/a" }, target: "zfs-nvme/b" });
    await new Promise((r) => setTimeout(r, 200));
    const kindOf = { Dataset: "Dataset", Delegation: "Delegation", NfsShare: "NfsShare", SanoidPolicy: "SanoidPolicy", SanoidTemplate: "SanoidPolicy", SyncoidPull: "SyncoidPull" } as const;
    expect(registered.map((r) => r.type).sort()).toEqual(Object.keys(kindOf).map((t) => `pulumi-nodejs:dynamic/zfs:${t}`).sort());
    for (const r of registered) expect(r.provider, r.type).toBe(loaderFor(kindOf[r.type.split(":").pop() as keyof typeof kindOf]));
  });

  it("is one short line naming the package and the kind, the same whatever the provider's code", () => {
    expect(loaderFor("Dataset")).toBe('exports.handler = () => require("zfs-fleet-provider").dynamicProvider("Dataset");');
    for (const kind of KINDS) expect(loaderFor(kind).length, kind).toBeLessThan(100);
  });

  it("gives the host, for every kind, the checked-out lifecycle and a configure that reads the stack's config", async () => {
    for (const [i, kind] of KINDS.entries()) {
      const p = hostLoads(loaderFor(kind));
      for (const m of ["configure", "check", "diff", "create", "read", "update", "delete"]) {
        expect(typeof (p as unknown as Record<string, unknown>)[m], `${kind}.${m}`).toBe("function");
      }
      // One provider object per kind, however often the host evaluates the text.
      expect(hostLoads(loaderFor(kind))).toBe(p);
      await p.configure!({ config: configOf(`loader${i}`) });
      expect(knownHosts(), kind).toContain(`loader${i}`);
      const refused = await p.check!({}, {});
      expect(refused.failures?.length, kind).toBeGreaterThan(0);
    }
    expect(hostLoads(loaderFor("Dataset"))).not.toBe(hostLoads(loaderFor("SyncoidPull")));
  });

  it("refuses a kind the package does not have, naming it", () => {
    expect(() => hostLoads(loaderFor("Snapshot" as Kind))).toThrow(/zfs-fleet-provider has no resource kind "Snapshot"/);
  });

  describe("in a state written by 0.2.0 (the serialized shim)", () => {
    let now: pulumi.dynamic.ResourceProvider;
    beforeAll(async () => {
      now = hostLoads(loaderFor("Dataset"));
      await now.configure!({ config: configOf("off1") });
    });

    it("checks and diffs with the checked-out provider, as the loader does", async () => {
      const old = hostLoads(fixture("shim-Dataset.js"));
      const checked = await old.check!({}, dataset);
      expect(checked).toStrictEqual(await now.check!({}, dataset));
      expect(checked.failures ?? []).toEqual([]);
      const inputs = checked.inputs as Record<string, unknown>;
      const renamed = { ...inputs, name: "zfs-nvme/off/pictures" };
      expect(await old.diff!("guid", inputs, renamed)).toStrictEqual(await now.diff!("guid", inputs, renamed));
      expect((await old.diff!("guid", inputs, renamed)).changes).toBe(true);
      const bad = await old.check!({}, { ...dataset, name: "zfs-nvme/off/$(reboot)" });
      expect(JSON.stringify(bad.failures)).toMatch(/name/);
    });

    it("loads for every kind and reaches that kind's check", async () => {
      for (const kind of KINDS) {
        const old = hostLoads(fixture(`shim-${kind}.js`));
        expect(await old.check!({}, {}), kind).toStrictEqual(await hostLoads(loaderFor(kind)).check!({}, {}));
      }
    });

    it("configures the checked-out provider from the stack's config", async () => {
      await hostLoads(fixture("shim-SyncoidPull.js")).configure!({ config: configOf("shim020") });
      expect(knownHosts()).toContain("shim020");
    });
  });
});
