// provider/dataset/properties.ts on its edges: each kind of rule (a list, a
// pattern, a function), the user-property limits, and how values compare
// with what `zfs get -p` reports.
import { describe, expect, it } from "vitest";
import { NATIVE_PROPERTIES, canonicalValue, propertyProblem, sameProperties, sameValue } from "../../provider/dataset/properties";

describe("a property's value", () => {
  it.each([
    ["recordsize", "512", undefined],
    ["recordsize", "256", 'cannot be "256": expected a power of two from 512 to 16M (e.g. 128K)'],
    ["recordsize", "16M", undefined],
    ["recordsize", "32M", 'cannot be "32M": expected a power of two from 512 to 16M (e.g. 128K)'],
    ["recordsize", "16m", undefined],
    ["recordsize", "64k", undefined],
    ["recordsize", "96K", 'cannot be "96K": expected a power of two from 512 to 16M (e.g. 128K)'],
    ["recordsize", "1G", 'cannot be "1G": expected a power of two from 512 to 16M (e.g. 128K)'],
    ["recordsize", "131072", undefined],
    // zfs reads K, KB alike (a B after the unit); the value must still be whole.
    ["recordsize", "128KB", undefined],
    ["recordsize", "128KBB", 'cannot be "128KBB": expected a power of two from 512 to 16M (e.g. 128K)'],
    ["recordsize", "x128K", 'cannot be "x128K": expected a power of two from 512 to 16M (e.g. 128K)'],
    ["canmount", "noauto", undefined],
    ["canmount", "auto", 'cannot be "auto": expected on, off or noauto'],
    ["quota", "1.5T", undefined],
    ["quota", "10GB", undefined],
    ["quota", "12345", undefined],
    ["quota", "10X", 'cannot be "10X": expected a size below 16E (e.g. 10G) or none'],
    // ZFS's bound is 64 bits: 16E less one byte is the largest size.
    ["quota", "18446744073709551615", undefined],
    ["quota", "18446744073709551616", 'cannot be "18446744073709551616": expected a size below 16E (e.g. 10G) or none'],
    ["quota", "16383P", undefined],
    ["quota", "16E", 'cannot be "16E": expected a size below 16E (e.g. 10G) or none'],
    ["quota", "NONE", undefined],
    ["compression", "zstd-19", undefined],
    ["compression", "zstd-20", 'cannot be "zstd-20": expected on, off, lz4, zstd, zstd-N, gzip, gzip-N, zle or lzjb'],
    ["compression", "xlz4", 'cannot be "xlz4": expected on, off, lz4, zstd, zstd-N, gzip, gzip-N, zle or lzjb'],
    ["mountpoint", "/", undefined],
    ["mountpoint", "none", undefined],
    ["special_small_blocks", "64K", undefined],
    ["special_small_blocks", "x", 'cannot be "x": expected 0 or a power of two from 512 to 1M'],
    ["special_small_blocks", "0", undefined],
    ["special_small_blocks", "512", undefined],
    ["special_small_blocks", "256", 'cannot be "256": expected 0 or a power of two from 512 to 1M'],
    ["special_small_blocks", "1M", undefined],
    ["special_small_blocks", "2M", 'cannot be "2M": expected 0 or a power of two from 512 to 1M'],
    ["special_small_blocks", "96K", 'cannot be "96K": expected 0 or a power of two from 512 to 1M'],
  ])("%s=%s", (k, v, why) => expect(propertyProblem(k, v)).toBe(why));

  it("every native property accepts a value and refuses nonsense", () => {
    for (const key of Object.keys(NATIVE_PROPERTIES)) {
      expect(propertyProblem(key, "no such value"), key).toMatch(/^cannot be "no such value": expected /);
    }
  });

  it.each([
    ["sharenfs", "is managed by the NfsShare resource (exports must be kept in step with it)"],
    ["name", "is the Dataset's `name` input, not a property"],
    ["origin", "is read-only"],
    ["encryption", "can only be chosen when the dataset is created, which this resource does not support yet"],
    ["volsize", "applies to volumes; a Dataset is a filesystem"],
    ["nosuch", "is not a ZFS property this resource manages (user properties need a ':' as in syncoid:sync)"],
  ])("%s: %s", (key, why) => expect(propertyProblem(key, "on")).toBe(why));

  it("a value must be a string on one line, for native and user properties alike", () => {
    expect(propertyProblem("atime", 1)).toBe("must be a string (got number)");
    expect(propertyProblem("a:b", true)).toBe("must be a string (got boolean)");
    for (const c of ["\n", "\r", "\t", "\u0000", "\u001f", "\u007f"]) {
      expect(propertyProblem("a:b", `x${c}y`), JSON.stringify(c)).toBe("must not contain control characters or newlines");
      expect(propertyProblem("atime", `on${c}`), JSON.stringify(c)).toBe("must not contain control characters or newlines");
    }
    expect(propertyProblem("a:b", "x y ~ é")).toBeUndefined();
  });

  it("a user property: lowercase module:name, a name of at most 256 characters, a value of at most 8191", () => {
    expect(propertyProblem("org.off:role.x-y_z", "")).toBeUndefined();
    expect(propertyProblem("a:b:c", "v")).toBeUndefined();
    for (const key of [":b", "a:", "A:b", "a:B", "a b:c", "a/b:c"]) {
      expect(propertyProblem(key, "v"), key).toBe("is not a valid user property name (lowercase module:name, e.g. syncoid:sync)");
    }
    const key256 = `a:${"b".repeat(254)}`;
    expect(propertyProblem(key256, "v")).toBeUndefined();
    expect(propertyProblem(`${key256}b`, "v")).toBe("is longer than 256 characters");
    expect(propertyProblem("a:b", "v".repeat(8191))).toBeUndefined();
    expect(propertyProblem("a:b", "v".repeat(8192))).toBe("has a value longer than 8191 characters");
  });
});

describe("values as ZFS reports them", () => {
  it.each([
    ["quota", "1K", "1024"],
    ["quota", "1M", "1048576"],
    ["quota", "1G", "1073741824"],
    ["quota", "1T", "1099511627776"],
    ["quota", "1P", "1125899906842624"],
    ["quota", "1E", "1152921504606846976"],
    ["quota", "2k", "2048"],
    ["quota", "1KB", "1024"],
    ["quota", "1.5K", "1536"],
    ["quota", "0.001K", "1"],
    ["quota", "100", "100"],
    ["quota", "NONE", "0"],
    ["reservation", "1G", "1073741824"],
    ["refreservation", "1G", "1073741824"],
    ["special_small_blocks", "64K", "65536"],
    ["quota", "lots", "lots"],
    ["compression", "1K", "1K"],
    ["compression", "none", "none"],
    ["acltype", "noacl", "off"],
    ["acltype", "posix", "posix"],
    ["xattr", "posixacl", "posixacl"],
  ])("%s=%s reads back as %s", (key, value, reported) => expect(canonicalValue(key, value)).toBe(reported));

  it("the same setting, written either way, is the same; another is not", () => {
    expect(sameValue("quota", "10G", "10737418240")).toBe(true);
    expect(sameValue("quota", "10G", "10G")).toBe(true);
    expect(sameValue("quota", "10G", "10737418241")).toBe(false);
    expect(sameValue("compression", "lz4", "LZ4")).toBe(false);
  });

  it("two sets of properties are the same when every key means the same on both sides", () => {
    expect(sameProperties({ quota: "10G", atime: "off" }, { atime: "off", quota: "10737418240" })).toBe(true);
    expect(sameProperties({}, {})).toBe(true);
    expect(sameProperties({ quota: "10G" }, {})).toBe(false);
    expect(sameProperties({}, { quota: "10G" })).toBe(false);
    expect(sameProperties({ quota: "10G", atime: "on" }, { quota: "10G", atime: "off" })).toBe(false);
    expect(sameProperties({ "a:b": "x" }, { "a:b": "x" })).toBe(true);
  });
});

describe("a size must be the whole value", () => {
  it("a record size or quota with something around the number is refused, and compares as written", () => {
    for (const v of ["x512", "512x", "1M ", " 1M"]) expect(propertyProblem("recordsize", v), v).toMatch(/^cannot be/);
    expect(canonicalValue("quota", "x10G")).toBe("x10G");
    expect(canonicalValue("quota", "10Gx")).toBe("10Gx");
    expect(canonicalValue("quota", "0100")).toBe("100");
    expect(canonicalValue("quota", "1.0")).toBe("1");
  });
});
