// provider/names.ts on the edges of each rule: lengths and depths at the
// limit and one past it, each refusal's exact reason (the callers put it
// after the value: `named`), and the forms of a host address and a path.
import { describe, expect, it } from "vitest";
import {
  ABSOLUTE_PATH,
  HOST_ADDRESS,
  HOST_NAME,
  POOL_NAME,
  UNIX_NAME,
  ZFS_NAMES,
  datasetNameProblem,
  hostNameProblem,
  isDnsName,
  named,
  poolNameProblem,
  poolOf,
  unixNameProblem,
} from "../../provider/names";

describe("dataset names at ZFS's limits", () => {
  it("255 characters is the longest name, 50 levels below the pool the deepest", () => {
    const long = `p/${"a".repeat(253)}`;
    expect(long).toHaveLength(ZFS_NAMES.maxLength);
    expect(datasetNameProblem(long)).toBeUndefined();
    expect(datasetNameProblem(`${long}a`)).toBe("is 256 characters long; ZFS allows at most 255");
    const deep = ["p", ...Array(ZFS_NAMES.maxDepth - 1).fill("a")].join("/");
    expect(datasetNameProblem(deep)).toBeUndefined();
    expect(datasetNameProblem(`${deep}/a`)).toBe("nests 50 levels or more; ZFS allows fewer");
  });

  it.each([
    [3, "must be a dataset name (a string)"],
    [undefined, "must be a dataset name (a string)"],
    ["", "must not be empty"],
    ["p/a b", "must not contain white space (ZFS allows spaces, but syncoid-args.conf lines split on them)"],
    ["p/a@s", "names a snapshot or bookmark, not a filesystem"],
    ["p/a#b", "names a snapshot or bookmark, not a filesystem"],
    ["p/a%b", "must not contain '%' (reserved by ZFS for temporary clones)"],
    ["p/a*b", "contains '*'; ZFS names use only letters, digits and _ . : - with / between components"],
    ["p", "is a pool's root dataset, which comes with its pool and cannot be created or renamed"],
    ["p//a", "is not a ZFS dataset name: it has an empty component (a leading, trailing or doubled /)"],
    ["p/./a", "is not a ZFS dataset name: it has a '.' component"],
    ["p/..", "is not a ZFS dataset name: it has a '..' component"],
    ["9p/a", "is not a ZFS dataset name: its pool name '9p' must start with a letter"],
    ["log/a", "is not a ZFS dataset name: it uses the reserved word 'log' as its pool name"],
  ])("%j: %s", (name, why) => expect(datasetNameProblem(name)).toBe(why));

  it("accepts every character a component may have", () => {
    expect(datasetNameProblem("Pool_1.x:y-z/A_b.c:d-9")).toBeUndefined();
    expect(datasetNameProblem("p/...")).toBeUndefined();
  });

  it.each(ZFS_NAMES.reservedPools)("%s is a reserved pool name", (pool) => {
    expect(poolNameProblem(pool)).toBe(`is not a ZFS dataset name: it uses the reserved word '${pool}' as its pool name`);
    expect(datasetNameProblem(`${pool}/a`)).toBeDefined();
    expect(poolNameProblem(`${pool}x`)).toBeUndefined();
  });

  it("a pool name starts with a letter and has only a component's characters", () => {
    expect(poolNameProblem("a")).toBeUndefined();
    expect(poolNameProblem("a1_.:-")).toBeUndefined();
    expect(poolNameProblem("a/b")).toBe("is not a ZFS dataset name: its pool name 'a/b' has a character ZFS does not allow");
    expect(poolNameProblem("_a")).toBe("is not a ZFS dataset name: its pool name '_a' must start with a letter");
    expect(POOL_NAME.test("Zpool")).toBe(true);
  });

  it("the pool of a name is its first component", () => {
    expect(poolOf("zfs-hdd/a/b")).toBe("zfs-hdd");
    expect(poolOf("rpool")).toBe("rpool");
  });
});

describe("Unix names", () => {
  it("32 characters at most, lowercase, a trailing $ for machine accounts", () => {
    expect(unixNameProblem("a".repeat(32))).toBeUndefined();
    expect(unixNameProblem("a".repeat(33))).toBeDefined();
    expect(unixNameProblem(`${"a".repeat(31)}$`)).toBeUndefined();
    expect(unixNameProblem("_")).toBeUndefined();
    expect(unixNameProblem("a-")).toBeUndefined();
    expect(unixNameProblem("a$$")).toBeDefined();
    expect(unixNameProblem("$")).toBeDefined();
    expect(UNIX_NAME.test("ab\n")).toBe(false);
  });
  it("a value that is not a string is refused, worded by what it names", () => {
    expect(unixNameProblem(undefined)).toBe("is not a Unix user name (lowercase letters, digits, _ and -, at most 32 characters)");
    expect(unixNameProblem(5, "group")).toBe("is not a Unix group name (lowercase letters, digits, _ and -, at most 32 characters)");
  });
});

describe("host names and addresses", () => {
  it("a stack host: a lowercase DNS label of at most 63 characters", () => {
    expect(hostNameProblem(`a${"b".repeat(62)}`)).toBeUndefined();
    expect(hostNameProblem(`a${"b".repeat(63)}`)).toBe(`"a${"b".repeat(63)}" is not a host name (lowercase letters, digits and -)`);
    expect(hostNameProblem(3)).toBe("3 is not a host name (lowercase letters, digits and -)");
    expect(hostNameProblem(undefined)).toBe("undefined is not a host name (lowercase letters, digits and -)");
    expect(HOST_NAME.test("a-1")).toBe(true);
  });
  it("the configured hosts are checked only when there are some", () => {
    expect(hostNameProblem("off9", [])).toBeUndefined();
    expect(hostNameProblem("off9", ["off9"])).toBeUndefined();
    expect(hostNameProblem("off9", ["off1"])).toBe('"off9" is not in the stack\'s zfs-fleet:hosts (known: off1)');
  });
  it("a DNS name: labels of at most 63, 253 in all, no leading or trailing -", () => {
    expect(isDnsName(`${"a".repeat(63)}.org`)).toBe(true);
    expect(isDnsName(`${"a".repeat(64)}.org`)).toBe(false);
    const label = "a".repeat(61);
    const n253 = [label, label, label, label, "abcde"].join(".");
    expect(n253).toHaveLength(253);
    expect(isDnsName(n253)).toBe(true);
    expect(isDnsName(`${n253}a`)).toBe(false);
    expect(isDnsName("a")).toBe(true);
    expect(isDnsName("a-b")).toBe(true);
    expect(isDnsName("a-")).toBe(false);
    expect(isDnsName("-a")).toBe(false);
    expect(isDnsName("a.-b")).toBe(false);
    expect(isDnsName("A1.B2")).toBe(true);
  });
  it("an address in the stack config: a DNS name or an IP address, nothing else", () => {
    for (const a of ["off2.example", "10.0.0.2", "fe80::1", "127.0.0.1"]) expect(HOST_ADDRESS.test(a), a).toBe(true);
    for (const a of ["", "a b", "a;b", "a/b", "[::1]", "a\n"]) expect(HOST_ADDRESS.test(a), a).toBe(false);
  });
  it("a file the provider edits: absolute, plain characters", () => {
    for (const p of ["/etc/sanoid/sanoid.conf", "/a", "/a_b-c.d/e"]) expect(ABSOLUTE_PATH.test(p), p).toBe(true);
    for (const p of ["", "/", "etc/x", "/a b", "/a$b", "/a\n", "~/x"]) expect(ABSOLUTE_PATH.test(p), p).toBe(false);
  });
});

describe("named", () => {
  it("puts the value, as JSON, before the problem; nothing when there is none", () => {
    expect(named("a b", "is bad")).toBe('"a b" is bad');
    expect(named(3, "is bad")).toBe("3 is bad");
    expect(named("a", undefined)).toBeUndefined();
  });
});
