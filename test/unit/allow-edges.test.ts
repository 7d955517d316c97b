// provider/delegation/allow.ts on its edges: the output parser's sections and
// entries, wanted/planAllow/planCommands for every scope, heldIn, and each
// permission and grantee rule. allow.test.ts has the captured outputs.
import { describe, expect, it } from "vitest";
import { ON_LINUX, PERMISSIONS, REFUSED, grantWarnings, heldIn, isEmptyPlan, parseAllow, permissionProblem, planAllow, planCommands, wanted, whoLabel, whoProblem } from "../../provider/delegation/allow";

const header = (ds: string) => `---- Permissions on ${ds} -----------------------------------------`;

describe("zfs allow output", () => {
  it("reads every section of our block, dedupes and sorts, with CRLF and space indents", () => {
    const text = [
      header("p/a"),
      "Permission sets:",
      "\t@s hold,send",
      "\t@empty",
      "Create time permissions:",
      "\tcreate,mount",
      "Local permissions:",
      "  user u1 send,hold,send",
      "\tgroup g1 snapshot",
      "Descendent permissions:",
      "\tuser u1 destroy",
      "\teveryone rollback",
      "Local+Descendent permissions:",
      "\tuser u1 hold",
      "\tuser (unknown: 1003) release",
      "",
    ].join("\r\n");
    expect(parseAllow(text, "p/a")).toEqual({
      dataset: "p/a",
      sets: { "@s": ["hold", "send"], "@empty": [] },
      createTime: ["create", "mount"],
      grants: {
        "user u1": { local: ["hold", "send"], descendent: ["destroy", "hold"] },
        "group g1": { local: ["snapshot"], descendent: [] },
        everyone: { local: [], descendent: ["rollback"] },
        "user (unknown: 1003)": { local: ["release"], descendent: ["release"] },
      },
    });
  });

  it("keeps only our block, before and after others; a block header resets the section", () => {
    const text = [header("p"), "Local permissions:", "\tuser u1 hold", header("p/a"), "\tuser u2 send"].join("\n");
    expect(() => parseAllow(text, "p/a")).toThrow(/entry before any section/);
    const ours = [header("p/a"), "Local permissions:", "\tuser u2 send", header("p"), "Local permissions:", "\tuser u1 hold"].join("\n");
    expect(parseAllow(ours, "p/a").grants).toEqual({ "user u2": { local: ["send"], descendent: [] } });
    expect(parseAllow(ours, "p").grants).toEqual({ "user u1": { local: ["hold"], descendent: [] } });
    expect(parseAllow(ours, "q").grants).toEqual({});
  });

  it("refuses what it does not understand, naming the line", () => {
    expect(() => parseAllow(`${header("p")}\nLocal permissions:\n\tuser u1\n`, "p")).toThrow(/unexpected entry in zfs allow output: "\\tuser u1"/);
    expect(() => parseAllow(`${header("p")}\nLocal permissions:\n\twho u1 hold\n`, "p")).toThrow(/unexpected entry/);
    expect(() => parseAllow(`${header("p")}\nOther:\n`, "p")).toThrow(/unexpected line in zfs allow output: "Other:"/);
    expect(parseAllow(`${header("q")}\nOther:\n`, "p").grants).toEqual({});
  });
});

describe("planning", () => {
  const NONE = { local: [], descendent: [] };
  const u = { kind: "user" as const, name: "op" };

  it("wanted: a permission set per scope, deduplicated and sorted", () => {
    expect(wanted(["send", "hold", "send"], "both")).toEqual({ local: ["hold", "send"], descendent: ["hold", "send"] });
    expect(wanted(["send", "hold"], "local")).toEqual({ local: ["hold", "send"], descendent: [] });
    expect(wanted(["send", "hold"], "descendent")).toEqual({ local: [], descendent: ["hold", "send"] });
  });

  it("a descendent-scope delegation leaves local grants made by others alone, and revokes its own extras", () => {
    const live = { local: ["destroy"], descendent: ["hold", "snapshot"] };
    expect(planAllow(live, wanted(["hold", "send"], "descendent"), "descendent")).toEqual({
      grant: { local: [], descendent: ["send"] },
      revoke: { local: [], descendent: ["snapshot"] },
    });
  });

  it("a local-scope delegation revokes its own extras", () => {
    expect(planAllow({ local: ["hold", "x"], descendent: ["y"] }, wanted(["hold"], "local"), "local")).toEqual({
      grant: { local: [], descendent: [] },
      revoke: { local: ["x"], descendent: [] },
    });
  });

  it("a plan is empty only when it grants and revokes nothing", () => {
    expect(isEmptyPlan({ grant: NONE, revoke: NONE })).toBe(true);
    for (const [side, scope] of [["grant", "local"], ["grant", "descendent"], ["revoke", "local"], ["revoke", "descendent"]] as const) {
      const plan = { grant: { ...NONE }, revoke: { ...NONE } };
      plan[side] = { ...NONE, [scope]: ["hold"] };
      expect(isEmptyPlan(plan), `${side} ${scope}`).toBe(false);
    }
  });

  it("commands: the permissions in both scopes once without -l/-d, the rest with their flag, revocations first", () => {
    const plan = { grant: { local: ["a", "b", "c"], descendent: ["b", "c", "d"] }, revoke: { local: ["x"], descendent: ["y"] } };
    expect(planCommands(plan, u, "p/a").map((c) => c.text)).toEqual([
      "zfs unallow -l -u op x p/a",
      "zfs unallow -d -u op y p/a",
      "zfs allow -u op b,c p/a",
      "zfs allow -l -u op a p/a",
      "zfs allow -d -u op d p/a",
    ]);
    expect(planCommands({ grant: NONE, revoke: NONE }, u, "p/a")).toEqual([]);
    expect(planCommands({ grant: NONE, revoke: { local: ["h"], descendent: ["h"] } }, { kind: "everyone" }, "p").map(String)).toEqual(["zfs unallow -e h p"]);
    expect(planCommands({ grant: { local: ["h"], descendent: [] }, revoke: NONE }, { kind: "group", name: "g" }, "p").map(String)).toEqual(["zfs allow -l -g g h p"]);
  });

  it("heldIn: what the grantee holds in the resource's scope", () => {
    const g = { local: ["a", "b"], descendent: ["b", "c"] };
    expect(heldIn(g, "local")).toEqual(["a", "b"]);
    expect(heldIn(g, "descendent")).toEqual(["b", "c"]);
    expect(heldIn(g, "both")).toEqual(["b"]);
  });
});

describe("permissions and grantees", () => {
  // zfs-allow(8), OpenZFS 2.1: subcommands, other permissions and settable properties.
  it.each(["allow", "bookmark", "clone", "create", "destroy", "diff", "hold", "load-key", "change-key", "promote", "receive", "release", "rollback", "send", "snapshot", "userprop", "userquota", "groupquota", "projectquota", "quota", "compression", "readonly", "zoned", "mount", "canmount", "rename", "@a_b.c:d-1"])(
    "%s is accepted",
    (p) => expect(permissionProblem(p)).toBeUndefined(),
  );
  // Each lets the grantee do what another resource checks, past its checks.
  it.each([
    ["sharenfs", /share datasets over NFS to any client/],
    ["sharesmb", /share datasets over SMB to any client/],
    ["share", /publish what sharenfs and sharesmb say/],
    ["mountpoint", /where root mounts the dataset/],
    ["unmount", /not a zfs allow permission: mount covers/],
  ])("%s is refused, with its own reason", (p, why) => {
    expect(permissionProblem(p)).toBe(`"${p}" is refused: it ${REFUSED[p]}`);
    expect(REFUSED[p]).toMatch(why);
  });
  it("every name the table lists is accepted but the four a Delegation refuses", () => {
    const refused: string[] = [];
    for (const p of PERMISSIONS) {
      const why = permissionProblem(p);
      if (why === undefined) continue;
      expect(why, p).toBe(`"${p}" is refused: it ${REFUSED[p]}`);
      refused.push(p);
    }
    expect(refused.sort()).toEqual(["mountpoint", "share", "sharenfs", "sharesmb"]);
    expect(PERMISSIONS.has("")).toBe(false);
  });
  it("what Linux honours only in part is accepted, and warned about once, with its note", () => {
    expect(Object.keys(ON_LINUX).sort()).toEqual(["canmount", "mount", "rename"]);
    for (const p of Object.keys(ON_LINUX)) {
      expect(permissionProblem(p), p).toBeUndefined();
      const w = grantWarnings({ kind: "user", name: "op" }, [...new Set(["create", "mount", p])], "p/a");
      expect(w.filter((line) => line.startsWith(`Delegation of "${p}" to user op on p/a: `)), p).toEqual([`Delegation of "${p}" to user op on p/a: ${ON_LINUX[p]}`]);
    }
    expect(grantWarnings({ kind: "user", name: "op" }, ["hold"], "p/a")).toEqual([]);
  });
  it("a name every object has is not refused by REFUSED's prototype: it is no permission", () => {
    for (const p of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      expect(permissionProblem(p), p).toBe(`"${p}" is not an OpenZFS permission name; see zfs-allow(8), e.g. hold, send, snapshot, destroy, userprop`);
    }
  });
  it.each([
    ["@", '"@" is not a permission set name (@ then letters, digits, _ . : -, at most 64 characters)'],
    [`@${"a".repeat(64)}`, `"@${"a".repeat(64)}" is not a permission set name (@ then letters, digits, _ . : -, at most 64 characters)`],
    ["sendx", '"sendx" is not an OpenZFS permission name; see zfs-allow(8), e.g. hold, send, snapshot, destroy, userprop'],
    ["a,b", '"a,b" is not an OpenZFS permission name (give one permission per list entry); see zfs-allow(8), e.g. hold, send, snapshot, destroy, userprop'],
    [undefined, "must be a non-empty permission name"],
  ])("%j", (p, why) => expect(permissionProblem(p as never)).toBe(why));
  it("a set name of 63 characters after @ is accepted", () => {
    expect(permissionProblem(`@${"a".repeat(63)}`)).toBeUndefined();
  });
  it("grantees: labels as zfs allow prints them, names checked by kind", () => {
    expect(whoLabel({ kind: "user", name: "op" })).toBe("user op");
    expect(whoLabel({ kind: "group", name: "g" })).toBe("group g");
    expect(whoLabel({ kind: "everyone" })).toBe("everyone");
    expect(whoProblem({ kind: "group", name: "G" })).toBe('group name "G" is not a Unix group name (lowercase letters, digits, _ and -, at most 32 characters)');
    expect(whoProblem({ kind: "user", name: "U" })).toBe('user name "U" is not a Unix user name (lowercase letters, digits, _ and -, at most 32 characters)');
    expect(whoProblem({ kind: "everyone", name: "x" })).toBe("everyone takes no name");
  });
});

describe("zfs allow output, odd but possible", () => {
  it("lines before any block header belong to no dataset", () => {
    expect(parseAllow("Local permissions:\n\tuser u hold\n", "p").grants).toEqual({});
  });
  it("section titles with trailing blanks, entries split by several blanks, trailing commas, unsorted descendent grants", () => {
    const text = [header("p"), "Permission sets: ", "\t@s  hold,send", "Descendent permissions:  ", "\tuser  u1  send,hold,", "\teveryone  snapshot"].join("\n");
    expect(parseAllow(text, "p")).toEqual({
      dataset: "p",
      sets: { "@s": ["hold", "send"] },
      createTime: [],
      grants: { "user u1": { local: [], descendent: ["hold", "send"] }, everyone: { local: [], descendent: ["snapshot"] } },
    });
  });
  it("an entry that does not start with user, group or everyone, or has extra words after everyone's, is refused", () => {
    expect(() => parseAllow(`${header("p")}\nLocal permissions:\n\txuser u hold\n`, "p")).toThrow(/unexpected entry/);
    expect(() => parseAllow(`${header("p")}\nLocal permissions:\n\teveryone hold extra\n`, "p")).toThrow(/unexpected entry/);
    expect(() => parseAllow(`${header("p")}\nLocal permissions:\n\teveryonex hold\n`, "p")).toThrow(/unexpected entry/);
    expect(() => parseAllow(`${header("p")}\nLocal permissions:\n\txeveryone hold\n`, "p")).toThrow(/unexpected entry/);
  });
  it("a plan that revokes in both scopes, or grants descendent and revokes local, is not empty", () => {
    expect(isEmptyPlan({ grant: { local: [], descendent: [] }, revoke: { local: ["a"], descendent: ["b"] } })).toBe(false);
    expect(isEmptyPlan({ grant: { local: [], descendent: ["a"] }, revoke: { local: ["b"], descendent: [] } })).toBe(false);
    expect(isEmptyPlan({ grant: { local: ["a"], descendent: [] }, revoke: { local: [], descendent: ["b"] } })).toBe(false);
  });
  it("several permissions of one scope go in one command, comma-separated", () => {
    const plan = { grant: { local: ["a", "b"], descendent: ["c", "d"] }, revoke: { local: [], descendent: [] } };
    expect(planCommands(plan, { kind: "user", name: "op" }, "p").map(String)).toEqual(["zfs allow -l -u op a,b p", "zfs allow -d -u op c,d p"]);
  });
});
