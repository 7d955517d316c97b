// The lab itself: three hosts with their own identity, reaching each other by name on the private
// segment, as the fleet's operators do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, closeConnections, lab, out, resetLab, run, sh } from "./support";

beforeAll(resetLab);
afterAll(closeConnections);

describe("the lab", () => {
  it.each(HOSTS)("%s answers under its own name, with its own host key and its pools", async (host) => {
    const h = lab().hosts[host];
    expect((await out(host, "hostname")).trim()).toBe(host);
    const key = (await out(host, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub")).trim();
    expect(key).toBe(h.hostKey);
    const pools = (await out(host, "zpool list -H -o name")).trim().split("\n").sort();
    expect(pools).toEqual([...h.pools].sort());
    expect(await out(host, "ip -4 -o addr show")).toContain(`${h.address}/28`);
  });

  it("the three hosts have three different host keys", () => {
    expect(new Set(HOSTS.map((h) => lab().hosts[h].hostKey)).size).toBe(3);
  });

  it("ovh3's root reaches off2 as ovh3operator by its public name, host key checked", async () => {
    const r = await out(
      "ovh3",
      sh`ssh -o BatchMode=yes -o StrictHostKeyChecking=yes ovh3operator@off2.openfoodfacts.org 'id -un; hostname'`,
    );
    expect(r.trim().split("\n")).toEqual(["ovh3operator", "off2"]);
  });

  it("off1 and off2 pull from each other as their operators, by private address", async () => {
    expect((await out("off2", sh`ssh -o BatchMode=yes off2operator@10.0.0.1 hostname`)).trim()).toBe("off1");
    expect((await out("off1", sh`ssh -o BatchMode=yes off1operator@10.0.0.2 hostname`)).trim()).toBe("off2");
  });

  it("a host whose key is not the expected one is refused", async () => {
    // off2's known_hosts entry for ovh3 does not match off1's key, so connecting to off1's address
    // under ovh3's name must fail: the VMs check host keys, they do not accept new ones.
    const r = await run(
      "off2",
      sh`ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o HostKeyAlias=ovh3 root@10.0.0.1 true`,
      { allowFailure: true },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/host key|IDENTIFICATION HAS CHANGED/i);
  });

  it("reset puts pools, sanoid files and authorized keys back to the baseline", async () => {
    await run(
      "off2",
      [
        sh`zfs create zfs-hdd/leftover`,
        sh`echo '[zfs-hdd/leftover]' > /etc/sanoid/sanoid.conf`,
        sh`echo 'ssh-ed25519 AAAAleftover test' >> /home/ovh3operator/.ssh/authorized_keys`,
      ].join(" && "),
    );
    await resetLab();
    expect(await out("off2", "zfs list -H -o name")).toBe("rpool\nzfs-hdd\nzfs-nvme\n");
    expect(await out("off2", "ls /etc/sanoid")).toBe("");
    expect(await out("off2", "cat /home/ovh3operator/.ssh/authorized_keys")).not.toContain("leftover");
  });
});
