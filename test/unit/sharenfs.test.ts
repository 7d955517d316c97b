import { describe, expect, it } from "vitest";
import { addressProblem, optionProblem, parseSharenfs, renderSharenfs, shareKey } from "../../provider/nfs/sharenfs";

describe("sharenfs clients", () => {
  it.each(["10.0.0.2", "10.0.0.2/32", "10.0.0.0/28", "10.1.0.200/32", "10.1.0.0/16", "off2.openfoodfacts.org", "staging"])("accepts %s", (a) =>
    expect(addressProblem(a)).toBeUndefined(),
  );
  it.each(["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8", "10.0.0.0/15"])("refuses %s, wider than /16, unless allowEveryone: it is every host by another name", (a) => {
    expect(addressProblem(a)).toMatch(/covers \d+ addresses: every host or nearly .* set allowEveryone: true/);
    expect(addressProblem(a, true)).toBeUndefined();
  });
  it.each([
    ["", /must be/],
    ["*", /allowEveryone/],
    ["10.0.0.5/28", /host bits set; did you mean 10.0.0.0\/28/],
    ["10.0.0.256", /not a valid IPv4/],
    ["10.0.0", /not a valid IPv4/],
    ["10.0.0.0/33", /at most 32/],
    ["fe80::1", /IPv6 cannot be written/],
    ["10.0.0.2,no_root_squash", /not an IPv4 address, a CIDR network or a host name/],
    ["10.0.0.2:10.0.0.3", /IPv6|':'/],
    ["host name", /not an IPv4/],
    ["$(reboot)", /not an IPv4/],
    ["-h", /not an IPv4/],
    ["a\nb", /not an IPv4/],
  ])("refuses %j", (a, why) => expect(addressProblem(a)).toMatch(why));
});

describe("export options", () => {
  it.each(["no_root_squash", "crossmnt", "no_subtree_check", "sync", "async", "sec=sys", "sec=krb5:krb5p", "anonuid=65534", "fsid=root"])(
    "accepts %s",
    (o) => expect(optionProblem(o)).toBeUndefined(),
  );
  it.each([
    ["no_root_squash,rw=@0.0.0.0/0", /inject/],
    ["rw=*", /inject/],
    ["rw", /give access per client/],
    ["ro=10.0.0.1", /give access per client/],
    ["on", /whole sharenfs value/],
    ["crossmnt=1", /takes no value/],
    ["anonuid=root", /needs a value like a number/],
    ["sec=none", /needs a value like sys/],
    ["no root squash", /inject/],
    ["insecure)", /inject/],
    ["nosuchoption", /not an export option/],
    ["", /non-empty/],
  ])("refuses %j", (o, why) => expect(optionProblem(o)).toMatch(why));
});

describe("rendering and reading sharenfs", () => {
  it("renders the operators' form: one rw= per client, CIDRs with @, then the options", () => {
    expect(
      renderSharenfs({
        clients: [
          { address: "10.0.0.1/32", access: "rw" },
          { address: "10.1.0.200/32", access: "rw" },
        ],
        options: ["no_root_squash"],
        everyone: false,
      }),
    ).toBe("rw=@10.0.0.1/32,rw=@10.1.0.200/32,no_root_squash");
    expect(renderSharenfs({ clients: [{ address: "10.0.0.0/28", access: "ro" }, { address: "off2", access: "rw" }], options: [], everyone: false })).toBe(
      "rw=off2,ro=@10.0.0.0/28",
    );
  });

  it("only an explicit everyone renders as on", () => {
    expect(renderSharenfs({ clients: [], options: [], everyone: true })).toBe("on");
  });

  it("reads the values found on the fleet, including the ':' host lists and repeated rw=", () => {
    expect(parseSharenfs("rw=@10.0.0.0/28,no_root_squash")).toEqual({
      clients: [{ address: "10.0.0.0/28", access: "rw" }],
      options: ["no_root_squash"],
      everyone: false,
    });
    expect(parseSharenfs("rw=@10.0.0.2/32:@10.0.0.1/32,ro=@10.0.0.0/28,no_root_squash,crossmnt")?.clients).toEqual([
      { address: "10.0.0.2/32", access: "rw" },
      { address: "10.0.0.1/32", access: "rw" },
      { address: "10.0.0.0/28", access: "ro" },
    ]);
    expect(parseSharenfs("on")).toEqual({ clients: [], options: [], everyone: true });
    expect(parseSharenfs("off")).toBeUndefined();
  });

  it("compares shares by meaning, not by spelling", () => {
    const a = parseSharenfs("rw=@10.0.0.1/32,rw=@10.1.0.200/32,no_root_squash");
    const b = parseSharenfs("rw=@10.1.0.200/32:10.0.0.1,no_root_squash");
    expect(shareKey(a)).toBe(shareKey(b));
    expect(shareKey(a)).not.toBe(shareKey(parseSharenfs("ro=@10.0.0.1/32,rw=@10.1.0.200/32,no_root_squash")));
    expect(shareKey(undefined)).toBe("off");
  });
});
