// The provider's configuration is `zfs-fleet:<key>` whatever the consuming
// project is called. The shims hand configure the SDK's own config reader
// (`req.config.get`), which puts the project's name before a bare key: this
// drives configure through that reader, as the dynamic-provider host builds
// it, for a project named zfs-fleet and for one named otherwise.
import { Config } from "@pulumi/pulumi/cmd/dynamic-provider/config";
import { describe, expect, it } from "vitest";
import { configure } from "../../provider";
import { knownHosts } from "../../provider/transport";

const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIBqnKPCxidCFf29DV/lcrgg81GsTfMhpa0O+Z2VF2RJT";

/** What the shim's configure passes: the SDK's reader, as the dynamic-provider host makes it for `project`. */
const readerOf = (raw: Record<string, string>, project: string) => {
  const config = new Config(raw, project);
  return (key: string) => config.get(key);
};

const hosts = (name: string) => JSON.stringify({ [name]: { address: "192.0.2.7", port: 22, hostKey: `ssh-ed25519 ${ED}` } });

describe("the configuration namespace", () => {
  it("reads zfs-fleet:hosts in a project named zfs-fleet", () => {
    configure(readerOf({ "zfs-fleet:hosts": hosts("store0") }, "zfs-fleet"));
    expect(knownHosts()).toContain("store0");
  });

  it("reads zfs-fleet:hosts in a project named anything else", () => {
    configure(readerOf({ "zfs-fleet:hosts": hosts("store1"), "tank-backup:projectsParent": "tank/projects" }, "tank-backup"));
    expect(knownHosts()).toContain("store1");
  });

  it("refuses the provider's keys set under the project's own namespace, naming the keys to use", () => {
    const get = readerOf({ "tank-backup:hosts": hosts("store2"), "tank-backup:sshPrivateKey": "k" }, "tank-backup");
    expect(() => configure(get)).toThrow(/"hosts", "sshPrivateKey" under the project's own namespace.*zfs-fleet:hosts, zfs-fleet:sshPrivateKey, zfs-fleet:sshAgent whatever the project is called/);
    expect(knownHosts()).not.toContain("store2");
  });

  it("lets a project keep a key of its own with the same name once the provider's key is set", () => {
    configure(readerOf({ "zfs-fleet:hosts": hosts("store3"), "tank-backup:hosts": "a list of its own" }, "tank-backup"));
    expect(knownHosts()).toContain("store3");
  });
});
