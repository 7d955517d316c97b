// A kind's warnings (kind.ts, `warnings`) reach the operator: the resource
// class logs each on the resource once the inputs it reads are known, since
// the dynamic provider's check cannot warn. The engine is Pulumi's mocks.
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const said: string[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks({
    newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
    call: () => ({}),
  });
  vi.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => {
    said.push(message);
  });
});
afterAll(() => vi.restoreAllMocks());

const settle = () => new Promise((r) => setTimeout(r, 200));

describe("warnings on the resource", () => {
  it("a Delegation with mount says what it does on Linux; hold,send says nothing", async () => {
    const { Delegation } = await import("../../provider/delegation");
    said.length = 0;
    new Delegation("recv", { host: "ovh3", dataset: "rpool/recv", who: { user: "zfsrecv" }, permissions: ["create", "mount", "receive"] });
    new Delegation("pull", { host: "off2", dataset: "zfs-hdd", who: { user: "ovh3operator" }, permissions: ["hold", "send"] });
    await settle();
    expect(said).toEqual([expect.stringMatching(/^Delegation of "mount" to user zfsrecv on rpool\/recv: on Linux the grantee cannot mount/)]);
  });

  it("a Delegation whose inputs come from other resources warns once they are known", async () => {
    const { Delegation } = await import("../../provider/delegation");
    said.length = 0;
    new Delegation("late", { host: "ovh3", dataset: pulumi.output("rpool/x"), who: { everyone: true }, permissions: [pulumi.output("destroy"), "mount"] });
    await settle();
    expect(said.join("\n")).toMatch(/Delegation to everyone on rpool\/x: every user of the host may destroy there/);
  });

  it("an NfsShare to everyone says so", async () => {
    const { NfsShare } = await import("../../provider/nfs");
    said.length = 0;
    new NfsShare("pub", { host: "ovh3", dataset: "rpool/pub", allowEveryone: true });
    new NfsShare("wide", { host: "ovh3", dataset: "rpool/wide", clients: [{ address: "10.0.0.0/8", access: "ro" }], allowEveryone: true });
    new NfsShare("lan", { host: "ovh3", dataset: "rpool/lan", clients: [{ address: "10.0.0.0/28", access: "rw" }] });
    await settle();
    expect(said.sort()).toEqual([
      "NfsShare of rpool/pub: exported to every host (allowEveryone, sharenfs=on)",
      "NfsShare of rpool/wide: exported to 10.0.0.0/8, every host or nearly (allowEveryone)",
    ]);
  });
});
