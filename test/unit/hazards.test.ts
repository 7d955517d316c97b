// The hazard scan (provider/hazards/), read from real output captured on the lab by
// `lab/capture-fixtures --hazards`: off2 with the report's `off` container (a private mount
// namespace in cgroup lxc.payload.101 holding /zfs-hdd/off at /mnt/off and, stacked inside,
// zfs-nvme/off/products at /mnt/off/products), a unit holding a plain bind of zfs-hdd/off/images,
// a stopped container 102, systemd's sandboxes, ovh3 pulling zfs-hdd/off recursively and holding a
// file of off2's NFS export open; and ovh3 while it pulls.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Hazard, acknowledged, containerOf, hazardsOf, parseMountinfo, parseScan, sendersOf } from "../../provider/hazards/analyse";
import { scanCommand } from "../../provider/hazards/scan";
import { inheritedShare, spreadWarning } from "../../provider/hazards/shares";
import { parseZfsGet } from "../../provider/zfs/inventory";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", "openzfs-2.1", name), "utf8");
const off2 = parseScan(fixture("hazards-scan-off2.txt"));
const ovh3 = parseScan(fixture("hazards-scan-ovh3.txt"));
const of = (hazards: Hazard[], kind: Hazard["kind"]) => hazards.filter((h) => h.kind === kind);

describe("the scan's output", () => {
  it("is read whole: host namespace, mounts, processes, other namespaces with their cgroup, Proxmox entries, nfsd clients", () => {
    expect(off2.complete).toBe(true);
    expect(off2.hostNs).toBe("4026531841");
    expect(off2.hostMounts.find((m) => m.source === "zfs-hdd/off/products")).toMatchObject({ mountPoint: "/zfs-hdd/off/products", dev: "0:41", fstype: "zfs" });
    expect(off2.namespaces.map((n) => containerOf(n.cgroup))).toEqual(
      expect.arrayContaining(["unit systemd-udevd.service", "unit systemd-networkd.service", "lxc 101", "unit zfslab-holder-simple.service"]),
    );
    expect(off2.pve).toContain("/etc/pve/lxc/101.conf:mp1: /zfs-nvme/off/products,mp=/mnt/off/products");
    // nfsd's superblock is major:minor:inode in hex: 00:29 is the export's dev 0:41.
    expect(off2.nfsClients).toEqual([expect.objectContaining({ address: "10.0.0.3", name: "Linux NFSv4.2 ovh3", devices: ["0:41"] })]);
  });

  it("cut short, it says so (a lost connection must not read as a quiet host)", () => {
    const text = fixture("hazards-scan-off2.txt");
    expect(parseScan(text.slice(0, text.indexOf("@@zfs-fleet:pve"))).complete).toBe(false);
  });

  it("unescapes mountinfo's octal escapes", () => {
    const [m] = parseMountinfo(["300 25 0:50 / /mnt/a\\040b rw - zfs zfs-hdd/a\\040b rw"]);
    expect(m).toMatchObject({ mountPoint: "/mnt/a b", source: "zfs-hdd/a b", optional: [] });
  });

  it("quotes every dataset it asks zfs allow about, and runs with none", () => {
    expect(scanCommand(["zfs-hdd/a b; reboot"]).text).toContain(`for d in 'zfs-hdd/a b; reboot'; do`);
    expect(scanCommand([]).text).toContain("for d in ; do");
  });
});

describe("the report's incident: renaming zfs-hdd/off/products under the off container", () => {
  const hazards = hazardsOf(off2, "zfs-hdd/off/products");
  const binds = of(hazards, "bindMount");

  it("names the stacked mount that ZFS's rmdir of the old mountpoint detaches, with its container, path and mp entry", () => {
    const stacked = binds.find((h) => /on the directory/.test(h.message))!;
    expect(stacked).toMatchObject({ container: "lxc 101", pid: 2322, pathInside: "/mnt/off/products" });
    expect(stacked.message).toContain("has zfs-nvme/off/products mounted at /mnt/off/products, on the directory /zfs-hdd/off/products of zfs-hdd/off");
    expect(stacked.message).toContain("pct stop 101");
    expect(stacked.message).toContain("/etc/pve/lxc/101.conf: mp1: /zfs-nvme/off/products,mp=/mnt/off/products");
    expect(stacked.acks).toEqual(["bindMount:101", "bindMount:/mnt/off/products"]);
  });

  it("names the parent's bind through which the container sees the child's mountpoint", () => {
    expect(binds.find((h) => /through which it sees/.test(h.message))?.message).toContain("binds zfs-hdd/off at /mnt/off, through which it sees zfs-hdd/off/products's mountpoint at /mnt/off/products");
  });

  it("ignores systemd's sandboxes, whose copies of the host's mounts are slaves (master:N)", () => {
    const sandboxes = off2.namespaces.filter((n) => /systemd-(udevd|networkd)/.test(n.cgroup.join()));
    expect(sandboxes.length).toBe(2);
    // They do hold zfs-hdd/off/products, as slave copies.
    expect(sandboxes[0].mounts.some((m) => m.source === "zfs-hdd/off/products" && m.optional.some((o) => o.startsWith("master:")))).toBe(true);
    expect(hazards.filter((h) => sandboxes.some((n) => n.pid === h.pid))).toEqual([]);
  });

  it("flags a private copy of the host's mount (the namespace keeps the dataset busy)", () => {
    expect(binds.find((h) => h.container === "unit zfslab-holder-simple.service")?.message).toContain("a private copy of the host's mount");
  });

  it("names a stopped container whose mp entry points into it; the running one shows by its live mounts only", () => {
    const configured = of(hazards, "configuredContainer");
    expect(configured).toEqual([expect.objectContaining({ container: "lxc 102", pathInside: "/data/products", acks: ["configuredContainer:102"] })]);
    expect(configured[0].message).toContain("/etc/pve/lxc/102.conf: mp0: /zfs-hdd/off/products,mp=/data/products,backup=0");
  });

  it("sees the open ssh session of a user that may send it (a pull between two sends)", () => {
    expect(of(hazards, "replication")).toEqual([expect.objectContaining({ pid: 2368, process: "sshd: ovh3operator@notty" })]);
  });

  it("names the NFS client holding files of its export", () => {
    expect(of(hazards, "nfsClient").map((h) => h.message)).toEqual([expect.stringContaining("NFS client 10.0.0.3 (Linux NFSv4.2 ovh3) has files of /zfs-hdd/off/products open")]);
  });

  it("an acknowledgement by container id or by path inside covers that holder, nothing else", () => {
    const refused = (acks: string[]) => [...binds, ...of(hazards, "configuredContainer")].filter((h) => !acknowledged(h, acks)).map((h) => h.container);
    expect(new Set(refused(["bindMount:101"]))).toEqual(new Set(["unit zfslab-holder-simple.service", "lxc 102"]));
    expect(refused(["bindMount:101", "bindMount:zfslab-holder-simple.service", "configuredContainer:102"])).toEqual([]);
    expect(refused(["bindMount:/mnt/off/products"]).filter((c) => c === "lxc 101").length).toBe(1); // its private copy at /zfs-hdd/off/products stays
  });
});

describe("other moves on the same host", () => {
  it("a plain bind of the dataset itself (zfs-hdd/off/images at /srv/images)", () => {
    const h = of(hazardsOf(off2, "zfs-hdd/off/images"), "bindMount").find((x) => x.pathInside === "/srv/images");
    expect(h?.message).toContain("unit zfslab-holder-simple.service (process 2325: sleep infinity), in its own mount namespace, holds zfs-hdd/off/images bound at /srv/images");
    expect(h?.message).toContain("systemctl stop zfslab-holder-simple.service");
  });

  it("moving the parent zfs-hdd/off meets everything below it", () => {
    const paths = of(hazardsOf(off2, "zfs-hdd/off"), "bindMount").map((h) => h.pathInside);
    expect(paths).toEqual(expect.arrayContaining(["/mnt/off", "/mnt/off/products", "/srv/images"]));
  });

  it("a Proxmox storage volume (rootfs: local-zfs:subvol-102-disk-0) is its dataset under the storage's pool", () => {
    expect(of(hazardsOf(off2, "rpool/data"), "configuredContainer").map((h) => h.message)).toEqual([expect.stringContaining("mounts rpool/data/subvol-102-disk-0 at /")]);
  });

  it("a dataset nothing holds meets nothing", () => {
    expect(hazardsOf(off2, "zfs-hdd/elsewhere")).toEqual([]);
  });
});

describe("replication on the pulling side (ovh3, syncoid --recursive into rpool/off-pulled)", () => {
  it("the target, a descendant of it (recursive) and nothing unrelated", () => {
    expect(of(hazardsOf(ovh3, "rpool/off-pulled"), "replication")[0]?.message).toContain("syncoid works on rpool/off-pulled (process 1477");
    expect(of(hazardsOf(ovh3, "rpool/off-pulled/products"), "replication")).toHaveLength(1);
    expect(of(hazardsOf(ovh3, "rpool/off-pulledx"), "replication")).toEqual([]);
  });

  it("zfs send and receive of the dataset, a descendant, or an ancestor sent recursively", () => {
    const scan = { ...ovh3, ps: [
      { pid: 10, user: "root", args: "zfs send -I zfs-hdd/off@a zfs-hdd/off/products@b" },
      { pid: 11, user: "root", args: "sh -c zfs send -R zfs-hdd@x | mbuffer -q" },
      { pid: 12, user: "root", args: "zfs receive -s -F rpool/other" },
    ] };
    expect(of(hazardsOf(scan, "zfs-hdd/off/products"), "replication").map((h) => h.pid)).toEqual([10, 11]);
    expect(of(hazardsOf(scan, "zfs-hdd/off"), "replication").map((h) => h.pid)).toEqual([10, 11]);
    expect(of(hazardsOf(scan, "rpool/other/x"), "replication").map((h) => h.pid)).toEqual([12]);
  });

  it("who may send a dataset: its own local grants, its ancestors' descendent ones, sets expanded", () => {
    const text = fixture("delegation-zfs-allow-child-and-parent.txt");
    expect(sendersOf(text, "zfs-hdd/fx-allow/child")).toEqual(["off2operator", "ovh3operator"]);
    expect(sendersOf(fixture("zfs-allow-off2-zfs-hdd.txt"), "zfs-hdd")).toEqual(["off1operator", "ovh3operator"]);
  });
});

describe("who holds a namespace, from its cgroup", () => {
  it.each([
    ["0::/lxc.payload.101/init.scope", "lxc 101"],
    ["0::/lxc/web/ns", "lxc web"],
    ["0::/machine.slice/machine-my\\x2dbox.scope/payload", "nspawn my-box"],
    ["0::/system.slice/docker-0123456789abcdef0123.scope", "docker 0123456789ab"],
    ["0::/system.slice/zfslab-holder-x.service", "unit zfslab-holder-x.service"],
    ["0::/", undefined],
  ])("%s", (line, want) => expect(containerOf([line])).toBe(want));
});

describe("shares that spread: a dataset under a shared parent is exported the moment it exists", () => {
  // As `zfs get -Hp -o name,property,value,source` prints them.
  const facts = parseZfsGet(
    [
      "rpool/backups\tsharenfs\trw=@10.0.0.1/32,ro=@10.0.0.0/28,no_root_squash\tlocal",
      "rpool/backups/off1\tsharenfs\trw=@10.0.0.1/32,ro=@10.0.0.0/28,no_root_squash\tinherited from rpool/backups",
      "rpool/open\tsharenfs\ton\tlocal",
      "rpool/quiet\tsharenfs\toff\tdefault",
    ].join("\n"),
  );

  it("names the dataset that sets the share and its clients, for a child and a grandchild", () => {
    expect(inheritedShare(facts, "rpool/backups/new")).toEqual({ from: "rpool/backups", value: "rw=@10.0.0.1/32,ro=@10.0.0.0/28,no_root_squash", clients: "10.0.0.1/32 (rw), 10.0.0.0/28 (ro)" });
    expect(inheritedShare(facts, "rpool/backups/off1/new")?.from).toBe("rpool/backups");
    expect(inheritedShare(facts, "rpool/open/x")?.clients).toBe("every host that can reach it");
  });

  it("nothing under a parent that does not share, or that the pool does not have", () => {
    expect(inheritedShare(facts, "rpool/quiet/x")).toBeUndefined();
    expect(inheritedShare(facts, "rpool/nowhere/x")).toBeUndefined();
  });

  it("the warning says what to do", () => {
    expect(spreadWarning("ovh3", "rpool/backups/new", inheritedShare(facts, "rpool/backups/new")!, "will be")).toMatch(
      /^ovh3: rpool\/backups\/new will be exported over NFS: it inherits sharenfs=rw=@10\.0\.0\.1\/32,ro=@10\.0\.0\.0\/28,no_root_squash from rpool\/backups \(clients: 10\.0\.0\.1\/32 \(rw\), 10\.0\.0\.0\/28 \(ro\)\)\. If it must not be/,
    );
  });
});

describe("a dataset's own mounts, looked up once per scan for every dataset of a refresh", () => {
  // The host mounts D twice, its children and grandchild, and names that share D's prefix but are
  // not below it ("-" and "b" sort around "/"); each mount is held open by its own NFS client. The
  // grandchild is mounted inside D's first mount, where a stopped container's entry binds it.
  const names = ["p/tre", "p/tree", "p/tree-x", "p/tree/a", "p/tree/a/b", "p/treeb", "p/tree", "p/tree/a-b", "p/tree0"];
  const path = (i: number) => (i === 4 ? "/m1/sub" : `/m${i}`);
  const scan = parseScan(
    [
      "@@zfs-fleet:host-ns",
      "1",
      "@@zfs-fleet:host-mountinfo",
      ...names.map((n, i) => `${100 + i} 25 0:${60 + i} / ${path(i)} rw shared:${70 + i} - zfs ${n} rw`),
      "@@zfs-fleet:pve",
      "/etc/pve/lxc/200.conf:mp0: /m1/sub,mp=/inside",
      ...names.map((_, i) => `@@zfs-fleet:client ${i}\naddress: 10.0.0.${i}:801\nname: "c${i}"\n@@zfs-fleet:states\n- 0x1: { type: open, superblock: "00:${(60 + i).toString(16)}:7" }`),
      "@@zfs-fleet:end",
    ].join("\n"),
  );
  const clients = (d: string) => of(hazardsOf(scan, d), "nfsClient").map((h) => h.message.match(/NFS client (\S+)/)![1]);

  it("finds D (both mounts) and what is below it, in mountinfo's order, and nothing that only shares its prefix", () => {
    expect(clients("p/tree")).toEqual(["10.0.0.1", "10.0.0.3", "10.0.0.4", "10.0.0.6", "10.0.0.7"]);
    // The first of them, in mountinfo's order, that holds the entry's path is the one named.
    expect(of(hazardsOf(scan, "p/tree"), "configuredContainer").map((h) => h.message)).toEqual([expect.stringContaining("binds /m1/sub, in p/tree, at /inside")]);
    expect(clients("p/tree/a")).toEqual(["10.0.0.3", "10.0.0.4"]);
    expect(clients("p/tre")).toEqual(["10.0.0.0"]);
    expect(clients("p/nowhere")).toEqual([]);
  });

  it("asked again of the same scan, answers the same", () => {
    expect(hazardsOf(scan, "p/tree")).toEqual(hazardsOf(scan, "p/tree"));
    expect(hazardsOf(off2, "zfs-hdd/off/products")).toEqual(hazardsOf(parseScan(fixture("hazards-scan-off2.txt")), "zfs-hdd/off/products"));
  });
});
