// The import of each seeded lab host against the fleet's own description of
// it (stacks/fleet.ts, the legacy layout, written by hand from the
// operators' files): the same resources with the same inputs, and the keys
// the same but where this says otherwise. What differs, and why, is the
// list below; the test fails on any other difference.
import { describe, expect, it } from "vitest";
import { describeHost } from "../../provider/import/describe";
import { parseHostOutput } from "../../provider/import/facts";
import { type HostName, PUSHES, SHARES } from "../../stacks/fleet";
import { COUNT, HOSTS, fromFleet, fromImport } from "./fleet-compare";
import { seededHost } from "./import-hosts";

const described = (host: HostName) => {
  const s = seededHost(host);
  return describeHost(host, parseHostOutput(s.stdout, s.nonce, s.paths));
};

describe("the import of the seeded lab against stacks/fleet.ts's legacy layout", () => {
  it.each(HOSTS)("%s: the same resources with the same inputs", (host) => {
    const fleet = fromFleet(host);
    const imported = fromImport(described(host));
    expect([...imported.keys()].sort()).toEqual([...fleet.keys()].sort());
    expect(imported.size).toBe(COUNT[host]);
  });

  it.each(HOSTS)("%s: the same keys, but for off2's pushes", (host) => {
    const fleet = fromFleet(host);
    const imported = fromImport(described(host));
    const differ = [...fleet].filter(([what, key]) => imported.get(what) !== key).map(([what, key]) => [key, imported.get(what)]);
    // The fleet names a push after the path it fills on ovh3 (push-obf/images, push-pve for -r zfs-hdd/pve);
    // the import can only name a line after what the line says: its target as written.
    const pushes = PUSHES[host].map((p) => [p.key, p.target]);
    expect(differ.sort()).toEqual(pushes.sort());
  });

  it("ovh3: the shares' clients spelled as the host has them (10.1.0.201/32), the fleet's 10.1.0.201: the same client", () => {
    const d = described("ovh3");
    expect(d.shares.find((s) => s.dataset === "rpool/backups/robotoff")?.clients).toContainEqual({ address: "10.1.0.201/32", access: "rw" });
    expect(SHARES.ovh3.find((s) => s.dataset === "rpool/backups/robotoff")?.clients).toContainEqual({ address: "10.1.0.201", access: "rw" });
  });

  it.each(HOSTS)("%s: what both leave alone, the import says (the pools' roots; off1's duplicated section and double target)", (host) => {
    const d = described(host);
    const expected = [
      ...(host === "ovh3" ? ["rpool"] : ["rpool", "zfs-hdd", "zfs-nvme"]).map((p) => expect.stringMatching(new RegExp(`^pool ${p}'s root`))),
      ...(host === "off1" ? [expect.stringMatching(/\[zfs-hdd\/backups\] appears 2 times/), expect.stringMatching(/pull into zfs-hdd\/obf/)] : []),
    ];
    expect(d.unmanaged).toEqual(expected);
  });
});
