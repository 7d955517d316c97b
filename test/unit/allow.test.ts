import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  grantWarnings,
  heldIn,
  isEmptyPlan,
  parseAllow,
  permissionProblem,
  planAllow,
  planCommands,
  wanted,
  whoProblem,
} from "../../provider/delegation/allow";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", "openzfs-2.1", name), "utf8");

describe("zfs allow output, as OpenZFS 2.1 prints it", () => {
  it("keeps only the block of the dataset asked about (a child's output also lists its parents)", () => {
    const text = fixture("delegation-zfs-allow-child-and-parent.txt");
    const child = parseAllow(text, "zfs-hdd/fx-allow/child");
    expect(child.grants).toEqual({
      "user off2operator": { local: ["hold", "send"], descendent: ["hold"] },
      "user (unknown: 1003)": { local: ["hold"], descendent: ["hold"] },
    });
    expect(child.sets).toEqual({});
    expect(child.createTime).toEqual([]);
  });

  it("reads every kind of block: sets, create time, local, descendent, local+descendent, user, group, everyone", () => {
    const parent = parseAllow(fixture("delegation-zfs-allow-child-and-parent.txt"), "zfs-hdd/fx-allow");
    expect(parent.sets).toEqual({ "@pull": ["hold", "send"] });
    expect(parent.createTime).toEqual(["create", "destroy", "mount"]);
    expect(parent.grants).toEqual({
      "user off1operator": { local: ["snapshot"], descendent: [] },
      "group ovh3operator": { local: [], descendent: ["destroy", "mount"] },
      "user ovh3operator": { local: ["@pull", "userprop"], descendent: ["@pull", "userprop"] },
      everyone: { local: ["readonly"], descendent: ["readonly"] },
    });
  });

  it("a parent's create-time permissions are not the child's grants; root's create-time grant on the child is", () => {
    const text = fixture("delegation-zfs-allow-create-time.txt");
    expect(parseAllow(text, "zfs-hdd/fx-allow/empty").grants).toEqual({
      "user root": { local: ["create", "destroy", "mount"], descendent: [] },
    });
    expect(parseAllow(text, "zfs-hdd/fx-allow").createTime).toEqual(["create", "destroy", "mount"]);
  });

  it("a dataset without delegations prints nothing", () => {
    expect(parseAllow(fixture("delegation-zfs-allow-none.txt"), "zfs-hdd/fx-none").grants).toEqual({});
  });

  it("the report's output on off2: hold,send for both pullers", () => {
    const text = fixture("zfs-allow-off2-zfs-hdd.txt");
    expect(parseAllow(text, "zfs-hdd").grants["user ovh3operator"]).toEqual({ local: ["hold", "send"], descendent: ["hold", "send"] });
    // A dataset whose name is a prefix of another's must not pick up its block.
    expect(parseAllow(text, "zfs").grants).toEqual({});
  });

  it("refuses output it does not understand instead of guessing", () => {
    expect(() => parseAllow("---- Permissions on a/b ----\nSomething new:\n\tuser x y\n", "a/b")).toThrow(/unexpected line/);
    expect(() => parseAllow("---- Permissions on a/b ----\nLocal permissions:\n\tuser\n", "a/b")).toThrow(/unexpected entry/);
  });
});

describe("permission names", () => {
  it.each(["hold", "send", "snapshot", "destroy", "receive", "userprop", "compression", "@pull", "load-key", "mount", "canmount", "rename"])("accepts %s", (p) =>
    expect(permissionProblem(p)).toBeUndefined(),
  );
  it.each([
    ["sharenfs", /"sharenfs" is refused: it lets the grantee share datasets over NFS to any client, past NfsShare's checks/],
    ["sharesmb", /"sharesmb" is refused: .*SMB/],
    ["share", /"share" is refused: .*NfsShare/],
    ["mountpoint", /"mountpoint" is refused: it lets the grantee choose where root mounts the dataset/],
    ["unmount", /"unmount" is refused: it is not a zfs allow permission: mount covers/],
    ["constructor", /not an OpenZFS permission name/],
    ["toString", /not an OpenZFS permission name/],
    ["__proto__", /not an OpenZFS permission name/],
    ["hold,send", /one permission per list entry/],
    ["sendd", /not an OpenZFS permission name/],
    ["Send", /not an OpenZFS permission name/],
    ["send;reboot", /not an OpenZFS permission name/],
    ["$(id)", /not an OpenZFS permission name/],
    ["", /non-empty/],
    ["@", /not a permission set name/],
    ["@a b", /not a permission set name/],
    ["-l", /not an OpenZFS permission name/],
  ])("refuses %j", (p, why) => expect(permissionProblem(p)).toMatch(why));

  it.each([
    [{ kind: "user", name: "ovh3operator" }, undefined],
    [{ kind: "group", name: "backup" }, undefined],
    [{ kind: "everyone" }, undefined],
    [{ kind: "everyone", name: "x" }, /takes no name/],
    [{ kind: "user", name: "-e" }, /not a Unix user name/],
    [{ kind: "user", name: "a b" }, /not a Unix user name/],
    [{ kind: "user", name: "root;id" }, /not a Unix user name/],
    [{ kind: "user" }, /not a Unix user name/],
  ] as const)("grantee %j", (who, why) => {
    const p = whoProblem(who as never);
    if (why) expect(p).toMatch(why);
    else expect(p).toBeUndefined();
  });
});

describe("planning grants and revocations", () => {
  const ovh3 = { kind: "user", name: "ovh3operator" } as const;

  it("a new delegation is one zfs allow without -l/-d (Local+Descendent)", () => {
    const plan = planAllow({ local: [], descendent: [] }, wanted(["send", "hold"], "both"), "both");
    expect(planCommands(plan, ovh3, "zfs-hdd").map(String)).toEqual(["zfs allow -u ovh3operator hold,send zfs-hdd"]);
  });

  it("nothing to do when the host already has it", () => {
    const live = { local: ["hold", "send"], descendent: ["hold", "send"] };
    expect(isEmptyPlan(planAllow(live, wanted(["hold", "send"], "both"), "both"))).toBe(true);
  });

  it("grants and revokes exactly the difference, revocations first", () => {
    const live = { local: ["hold", "send", "snapshot"], descendent: ["hold", "send", "snapshot"] };
    const plan = planAllow(live, wanted(["send", "hold", "release"], "both"), "both");
    expect(planCommands(plan, ovh3, "zfs-hdd").map(String)).toEqual([
      "zfs unallow -u ovh3operator snapshot zfs-hdd",
      "zfs allow -u ovh3operator release zfs-hdd",
    ]);
  });

  it("narrowing the scope to local revokes only the descendent half", () => {
    const live = { local: ["hold", "send"], descendent: ["hold", "send"] };
    const plan = planAllow(live, wanted(["hold", "send"], "local"), "both");
    expect(planCommands(plan, ovh3, "zfs-hdd").map(String)).toEqual(["zfs unallow -d -u ovh3operator hold,send zfs-hdd"]);
  });

  it("a local-scope delegation leaves descendent grants made by others alone", () => {
    const live = { local: ["hold"], descendent: ["destroy"] };
    const plan = planAllow(live, wanted(["hold", "send"], "local"), "local");
    expect(planCommands(plan, ovh3, "zfs-hdd").map(String)).toEqual(["zfs allow -l -u ovh3operator send zfs-hdd"]);
  });

  it("groups and everyone, and hostile-looking names are quoted", () => {
    const plan = planAllow({ local: [], descendent: [] }, wanted(["hold"], "descendent"), "descendent");
    expect(planCommands(plan, { kind: "group", name: "backup" }, "rpool/a b").map(String)).toEqual(["zfs allow -d -g backup hold 'rpool/a b'"]);
    expect(planCommands(plan, { kind: "everyone" }, "rpool").map(String)).toEqual(["zfs allow -d -e hold rpool"]);
  });

  it("heldIn reports a permission as held in both scopes only when it is in both", () => {
    expect(heldIn({ local: ["hold", "send"], descendent: ["send"] }, "both")).toEqual(["send"]);
    expect(heldIn({ local: ["hold", "send"], descendent: ["send"] }, "local")).toEqual(["hold", "send"]);
  });
});

describe("warnings on grants that are allowed but worth a reviewer's eye", () => {
  const user = { kind: "user", name: "zfsrecv" } as const;

  it("says what mount, canmount and rename do and do not allow on Linux", () => {
    const w = grantWarnings(user, ["create", "mount", "receive"], "rpool/recv");
    expect(w).toEqual([expect.stringMatching(/^Delegation of "mount" to user zfsrecv on rpool\/recv: on Linux the grantee cannot mount or unmount \(only root can\); .*receive with -u/)]);
    expect(grantWarnings(user, ["canmount"], "p/x").join("\n")).toMatch(/takes effect when root next mounts/);
    expect(grantWarnings(user, ["rename", "create", "mount"], "p/x").join("\n")).toMatch(/can rename only a dataset that is not mounted/);
  });

  it.each([
    [["receive"], /receive .*requires create and mount with it, and this grant lacks create, mount/],
    [["create", "receive"], /receive .*lacks mount/],
    [["snapshot"], /snapshot .*requires mount .*lacks mount/],
    [["destroy", "hold"], /destroy .*lacks mount/],
    [["clone", "mount"], /clone .*lacks create/],
  ])("warns when %j lacks what zfs-allow(8) requires with it", (permissions, why) => {
    expect(grantWarnings(user, permissions, "p/x").join("\n")).toMatch(why);
  });

  it("cannot tell what a permission set holds, and says so instead of guessing", () => {
    const w = grantWarnings(user, ["receive", "@recv"], "p/x");
    expect(w).toEqual([expect.stringMatching(/@recv .*defined on the host \(zfs allow -s\), not in this program/)]);
  });

  it("warns on powerful grants to everyone", () => {
    expect(grantWarnings({ kind: "everyone" }, ["destroy", "mount", "hold"], "p/x").join("\n")).toMatch(/Delegation to everyone on p\/x: every user of the host may destroy there/);
    expect(grantWarnings({ kind: "everyone" }, ["hold"], "p/x")).toEqual([]);
  });

  it("says nothing about the fleet's hold,send", () => {
    expect(grantWarnings({ kind: "user", name: "ovh3operator" }, ["hold", "send"], "zfs-hdd")).toEqual([]);
  });
});
