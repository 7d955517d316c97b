// provider/nfs/sharenfs.ts on its edges: each client and option rule, the
// sharenfs value both ways, the identity used to compare shares, and the
// exports parsers on small inputs. sharenfs.test.ts and exports.test.ts have
// the fleet's values and the captured files.
import { describe, expect, it } from "vitest";
import {
  addressProblem,
  checkExports,
  clientsKey,
  optionProblem,
  parseExportfs,
  parseExportsFile,
  parseShareList,
  parseSharenfs,
  renderSharenfs,
  shareKey,
} from "../../provider/nfs/sharenfs";

describe("client addresses", () => {
  it.each([
    ["255.255.255.255", undefined],
    ["0.0.0.0", undefined],
    ["192.168.1.0/24", undefined],
    ["10.0.0.0/8", '"10.0.0.0/8" covers 16777216 addresses: every host or nearly (a network wider than /16 is sharing with everyone by another name); set allowEveryone: true if that is what you mean'],
    ["10.1.0.0/16", undefined],
    ["10.0.0.0/15", '"10.0.0.0/15" covers 131072 addresses: every host or nearly (a network wider than /16 is sharing with everyone by another name); set allowEveryone: true if that is what you mean'],
    ["10.0.0.1/32", undefined],
    ["128.0.0.0/1", '"128.0.0.0/1" covers 2147483648 addresses: every host or nearly (a network wider than /16 is sharing with everyone by another name); set allowEveryone: true if that is what you mean'],
    ["0.0.0.0/0", '"0.0.0.0/0" covers 4294967296 addresses: every host or nearly (a network wider than /16 is sharing with everyone by another name); set allowEveryone: true if that is what you mean'],
    ["10.0.0.1/31", '"10.0.0.1/31" has host bits set; did you mean 10.0.0.0/31?'],
    ["10.1.2.3/16", '"10.1.2.3/16" has host bits set; did you mean 10.1.0.0/16?'],
    ["255.255.255.255/0", '"255.255.255.255/0" has host bits set; did you mean 0.0.0.0/0?'],
    ["10.0.0.0/40", '"10.0.0.0/40": a prefix length is at most 32'],
    ["10.0.0.0/123", '"10.0.0.0/123" is not an IPv4 address, a CIDR network or a host name (letters, digits, - and .)'],
    ["10.0.0/24", '"10.0.0/24" is not a CIDR network (IPv4 address / prefix length)'],
    ["off2/24", '"off2/24" is not a CIDR network (IPv4 address / prefix length)'],
    ["1.2.3.4.5", '"1.2.3.4.5" is not a valid IPv4 address'],
    ["01.2.3.4", '"01.2.3.4" is not a valid IPv4 address'],
    ["on", '"*" means every host; leave clients empty and set allowEveryone: true to mean it'],
    ["a:b", "\"a:b\": IPv6 cannot be written in sharenfs (':' separates hosts there); use IPv4 or a host name"],
    ["Off2.Example", undefined],
  ])("%j", (address, why) => expect(addressProblem(address)).toBe(why));
  it.each(["10.0.0.0/8", "10.0.0.0/15", "128.0.0.0/1", "0.0.0.0/0", "10.1.0.0/16"])("%s is accepted with allowEveryone", (address) => {
    expect(addressProblem(address, true)).toBeUndefined();
  });
  it("allowEveryone lets a wide network through, not a bad one", () => {
    expect(addressProblem("10.1.2.3/8", true)).toBe('"10.1.2.3/8" has host bits set; did you mean 10.0.0.0/8?');
    expect(addressProblem("*", true)).toBe('"*" means every host; leave clients empty and set allowEveryone: true to mean it');
    expect(addressProblem("10.0.0.0/33", true)).toBe('"10.0.0.0/33": a prefix length is at most 32');
  });
  it("a value that is not a string is refused", () => {
    expect(addressProblem(undefined as never)).toBe("must be an IPv4 address, a CIDR network or a host name");
  });
});

describe("export options", () => {
  it.each([
    ["sec=krb5i", undefined],
    ["sec=sys:krb5:krb5p", undefined],
    ["sec=", '"sec=": sec needs a value like sys or krb5p'],
    ["sec", '"sec": sec needs a value like sys or krb5p'],
    ["fsid=12", undefined],
    ["fsid=0123abcd-0123-4567-89ab-0123456789ab", undefined],
    ["fsid=0123abcd0123456789ab0123456789ab", undefined],
    ["fsid=me", '"fsid=me": fsid needs a value like a number, root or a UUID'],
    ["anongid=65534", undefined],
    ["anongid=12345678901", '"anongid=12345678901": anongid needs a value like a number'],
    ["anonuid=1=2", '"anonuid=1=2": anonuid needs a value like a number'],
    ["mountpoint", undefined],
    ["nohide=", '"nohide" takes no value'],
    ["off", '"off" is a whole sharenfs value, not an option'],
    ["ro", '"ro": give access per client (clients: [{address, access: "ro"}]), not as an option'],
  ])("%j", (option, why) => expect(optionProblem(option)).toBe(why));
  it.each([..." ,()\"'\\;#&|$`<>*", "\t", "\n"])("%j in an option is refused as an injection", (c) => {
    expect(optionProblem(`no_root_squash${c}`)).toMatch(/^".*" contains a character that would inject another option or host/s);
  });
  it("names an unknown option by its name alone", () => {
    expect(optionProblem("nosuch=1")).toBe('"nosuch" is not an export option this resource knows (e.g. no_root_squash, crossmnt, no_subtree_check, sync, sec=sys, anonuid=N)');
    expect(optionProblem(5 as never)).toBe("must be a non-empty export option");
  });
});

describe("the sharenfs value", () => {
  it("everyone with options is not `on`, and an empty share is empty", () => {
    expect(renderSharenfs({ clients: [], options: ["crossmnt"], everyone: true })).toBe("crossmnt");
    expect(renderSharenfs({ clients: [{ address: "a", access: "rw" }], options: [], everyone: true })).toBe("rw=a");
    expect(renderSharenfs({ clients: [], options: [], everyone: false })).toBe("");
  });
  it("reads off, -, an empty value and white space as not shared, and on (trimmed) as everyone", () => {
    for (const v of ["off", "-", "", "  off "]) expect(parseSharenfs(v), v).toBeUndefined();
    expect(parseSharenfs(" on\n")).toEqual({ clients: [], options: [], everyone: true });
  });
  it("reads options only as a share with no clients, and skips empty parts and hosts", () => {
    expect(parseSharenfs("crossmnt,,sync")).toEqual({ clients: [], options: ["crossmnt", "sync"], everyone: true });
    expect(parseSharenfs("rw=a::@b,ro=")).toEqual({ clients: [{ address: "a", access: "rw" }, { address: "b", access: "rw" }], options: [], everyone: false });
    expect(parseSharenfs("rwx=a")).toEqual({ clients: [], options: ["rwx=a"], everyone: true });
  });
  it("a rendered share reads back as itself", () => {
    const share = { clients: [{ address: "10.0.0.0/28", access: "ro" as const }, { address: "off2", access: "rw" as const }], options: ["sync"], everyone: false };
    expect(parseSharenfs(renderSharenfs(share))).toEqual({ ...share, clients: [share.clients[1], share.clients[0]] });
  });
  it("compares clients in any order, with /32 or without, in any case; access and options count", () => {
    expect(clientsKey([{ address: "10.0.0.2/32", access: "rw" }, { address: "OFF2", access: "ro" }])).toEqual(["ro=off2", "rw=10.0.0.2"]);
    expect(clientsKey([{ address: "10.0.0.0/28", access: "rw" }])).toEqual(["rw=10.0.0.0/28"]);
    const a = { clients: [{ address: "x", access: "rw" as const }], options: ["sync", "crossmnt"], everyone: false };
    expect(shareKey(a)).toBe(shareKey({ ...a, options: ["crossmnt", "sync"] }));
    expect(shareKey(a)).not.toBe(shareKey({ ...a, options: ["sync"] }));
    expect(shareKey(a)).not.toBe(shareKey({ ...a, everyone: true }));
    expect(shareKey(a)).not.toBe(shareKey({ ...a, clients: [{ address: "x", access: "ro" }] }));
  });
});

describe("exports, on small inputs", () => {
  it("zfs.exports: several clients on a line, a client without options, a path alone, comments and blanks", () => {
    expect(parseExportsFile("# c\n\n/p/a\t10.0.0.1(rw,sync) host2 (ro)\n/p/b\n  /p/c   *(ro)\n")).toEqual([
      { path: "/p/a", client: "10.0.0.1", options: ["rw", "sync"] },
      { path: "/p/a", client: "host2", options: [] },
      { path: "/p/a", client: "*", options: ["ro"] },
      { path: "/p/b", client: "*", options: [] },
      { path: "/p/c", client: "*", options: ["ro"] },
    ]);
  });
  it("exportfs -v: a line with its client, a long path with its client on the next line, empty options", () => {
    expect(parseExportfs("/p/a\t\t10.0.0.1(rw)\n/p/very/long/path\n\t\t<world>()\n\n/p/b  host(ro,,sync)\n")).toEqual([
      { path: "/p/a", client: "10.0.0.1", options: ["rw"] },
      { path: "/p/very/long/path", client: "<world>", options: [] },
      { path: "/p/b", client: "host", options: ["ro", "sync"] },
    ]);
  });
  it("exportfs -v: a client line without a path is refused, and a path is used once", () => {
    expect(() => parseExportfs("\t10.0.0.1(rw)\n")).toThrow(/a client line without a path/);
    expect(() => parseExportfs("/p/a\n\tx(rw)\n\ty(rw)\n")).toThrow(/a client line without a path/);
    expect(() => parseExportfs("/p/a 10.0.0.1(rw)\n\ty(rw)\n")).toThrow(/a client line without a path/);
  });
  it("zfs list: four fields a line, blank lines skipped, a short line refused", () => {
    expect(parseShareList("p/a\t/p/a\ton\tyes\n\n")).toEqual([{ name: "p/a", mountpoint: "/p/a", sharenfs: "on", mounted: "yes" }]);
    expect(() => parseShareList("p/a\t/p/a\ton\n")).toThrow(/unexpected zfs list line/);
  });
  it("stale and missing: only shared, mounted datasets with a real mountpoint count", () => {
    const rows = [
      { name: "p/a", mountpoint: "/p/a", sharenfs: "on", mounted: "yes" },
      { name: "p/off", mountpoint: "/p/off", sharenfs: "off", mounted: "yes" },
      { name: "p/un", mountpoint: "/p/un", sharenfs: "on", mounted: "no" },
      { name: "p/legacy", mountpoint: "legacy", sharenfs: "on", mounted: "yes" },
      { name: "p/new", mountpoint: "/p/new", sharenfs: "rw=x", mounted: "yes" },
    ];
    const file = ["/p/a", "/p/off", "/p/un", "legacy"].map((path) => ({ path, client: "*", options: [] }));
    expect(checkExports(file, rows)).toEqual({ stale: file.slice(1), missing: ["p/new"] });
  });
});

describe("sharenfs and exports, odd but possible", () => {
  it("a network path with more than one / is no CIDR network", () => {
    expect(addressProblem("10.0.0.0/8/24")).toBe('"10.0.0.0/8/24" is not an IPv4 address, a CIDR network or a host name (letters, digits, - and .)');
  });
  it("rw= and ro= count only at the start of a part, and only a leading @ is dropped", () => {
    expect(parseSharenfs("xrw=a")).toEqual({ clients: [], options: ["xrw=a"], everyone: true });
    expect(parseSharenfs("rw=a@b")?.clients).toEqual([{ address: "a@b", access: "rw" }]);
  });
  it("zfs.exports: several blanks between clients; a client whose options do not close the entry is a client name", () => {
    expect(parseExportsFile("/p a(rw)   b(ro)\n/q host(rw)x\n").map((l) => [l.path, l.client, l.options])).toEqual([
      ["/p", "a", ["rw"]],
      ["/p", "b", ["ro"]],
      ["/q", "host(rw)x", []],
    ]);
  });
  it("exportfs -v: blank lines of spaces, trailing blanks after a client or a long path", () => {
    expect(parseExportfs("   \n/p/a 10.0.0.1(rw)   \n/p/very/long   \n\t\t<world>(ro)\n")).toEqual([
      { path: "/p/a", client: "10.0.0.1", options: ["rw"] },
      { path: "/p/very/long", client: "<world>", options: ["ro"] },
    ]);
  });
});
