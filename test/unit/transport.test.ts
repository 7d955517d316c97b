import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { configure } from "../../provider/index";
import { ConfigError, hostTable, settings } from "../../provider/config";
import { HostKeyError, fingerprint, keysFromKnownHosts, matchesPinned, parsePublicKeyLine, readKnownHosts } from "../../provider/transport/hostkey";
import { OutputBuffer, RemoteCommandError, run, stats } from "../../provider/transport";
import { Secret, quote, sh } from "../../provider/transport/sh";

const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const OTHER = "AAAAC3NzaC1lZDI1NTE5AAAAIKq8c3Y2xH6ZbXWkq1Qy0hQx9r3o8kQwYwq0Vv2yZbWm";

describe("sh quotes every value by construction", () => {
  it.each([
    ["zfs-hdd/off", "zfs-hdd/off"],
    ["a b", "'a b'"],
    ["it's", "'it'\\''s'"],
    ["$(reboot)", "'$(reboot)'"],
    ["; rm -rf /", "'; rm -rf /'"],
    ["", "''"],
    ["-rf", "-rf"],
  ])("%j -> %s", (value, quoted) => expect(quote(value)).toBe(quoted));

  it("splices arrays as several words and redacts secrets", () => {
    const cmd = sh`zfs set ${["a=1", "b=two words"]} ${"pool/x"} ${new Secret("hunter2")}`;
    expect(cmd.text).toBe("zfs set a=1 'b=two words' pool/x hunter2");
    expect(cmd.redacted).toBe("zfs set a=1 'b=two words' pool/x '[secret]'");
    expect(String(cmd)).not.toContain("hunter2");
  });

  it("refuses values that are not strings, numbers or commands", () => {
    expect(() => sh`echo ${{} as unknown as string}`).toThrow(/cannot interpolate/);
  });
});

describe("host keys are pinned", () => {
  const pinned = [parsePublicKeyLine(`ssh-ed25519 ${ED} off2`)!];

  it("matches the pinned key and refuses another, naming host, expected and seen", () => {
    expect(matchesPinned(pinned, Buffer.from(ED, "base64"))).toBe(true);
    expect(matchesPinned(pinned, Buffer.from(OTHER, "base64"))).toBe(false);
    const err = new HostKeyError("off2", pinned, Buffer.from(OTHER, "base64"));
    expect(err.message).toContain("host key of off2 refused");
    expect(err.message).toContain(fingerprint(ED));
    expect(err.message).toContain(fingerprint(OTHER));
  });

  it("refuses every key when none is configured", () => {
    expect(new HostKeyError("ovh3", [], Buffer.from(ED, "base64")).message).toMatch(/expected nothing: no hostKey/);
  });

  it("reads known_hosts content for [address]:port entries", () => {
    const content = `# lab\n[127.0.0.1]:2222 ssh-ed25519 ${ED}\n[127.0.0.1]:2223 ssh-ed25519 ${OTHER}\noff2.example,10.0.0.2 ssh-ed25519 ${OTHER}\n`;
    expect(keysFromKnownHosts(content, "127.0.0.1", 2222).map((k) => k.blob)).toEqual([ED]);
    expect(keysFromKnownHosts(content, "10.0.0.2", 22).map((k) => k.blob)).toEqual([OTHER]);
    expect(keysFromKnownHosts(content, "10.0.0.9", 22)).toEqual([]);
  });

  it("fingerprints like OpenSSH (SHA256, base64 without padding)", () => {
    expect(fingerprint(ED)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe("the host table from stack config", () => {
  const config: Record<string, unknown> = {
    hosts: JSON.stringify({ off2: { address: "127.0.0.1", port: 2222, hostKey: `ssh-ed25519 ${ED}` } }),
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
  };
  it("reads hosts, defaults user to root and keeps the key only in memory", () => {
    const t = hostTable((k) => config[k]);
    expect(t.off2).toMatchObject({ address: "127.0.0.1", port: 2222, user: "root", sudo: false });
    expect(t.off2.hostKeys).toHaveLength(1);
    expect(t.off2.privateKey).toMatch(/END OPENSSH PRIVATE KEY-----\n$/);
  });
  it("names the field that is wrong", () => {
    expect(() => hostTable((k) => (k === "hosts" ? { off2: { address: "a b" } } : undefined))).toThrow(/zfs-fleet:hosts\.off2\.address/);
    expect(() => hostTable((k) => (k === "hosts" ? { off2: { address: "h", hostKey: "nope" } } : undefined))).toThrow(/hostKey/);
  });
});

describe("the choke point's errors and counters", () => {
  it("a failed command names host, redacted command, exit code and stderr", () => {
    const cmd = sh`zfs set ${"org.off:token=x"} ${new Secret("s3cret")} ${"rpool/off"}`;
    const err = new RemoteCommandError("off2", cmd.redacted, 1, "cannot open 'rpool/off': dataset does not exist\n");
    expect(err.message).toBe(
      "off2: `zfs set org.off:token=x '[secret]' rpool/off` failed with exit code 1: cannot open 'rpool/off': dataset does not exist",
    );
    expect(err.message).not.toContain("s3cret");
    expect(new RemoteCommandError("off2", "true", null, "").message).toMatch(/the connection was lost/);
  });

  it("an unconfigured host runs nothing and says which hosts are known", async () => {
    const before = stats()["nowhere"]?.commands ?? 0;
    await expect(run("nowhere", sh`zfs list`)).rejects.toThrow(/nowhere: no connection details: add it to zfs-fleet:hosts/);
    expect(stats()["nowhere"]?.commands ?? 0).toBe(before);
  });

  it("leaves no double space where an empty list of flags was", () => {
    expect(sh`zfs create ${[]} ${[]} ${"rpool/x"}`.text).toBe("zfs create rpool/x");
    expect(sh`zfs rename ${["-p"]} ${"a/b"} ${"a/c"}`.text).toBe("zfs rename -p a/b a/c");
    expect(sh`echo ${""} x`.text).toBe("echo '' x");
  });
});

describe("known_hosts markers", () => {
  const hashed = (name: string, salt = Buffer.from("0123456789abcdefghij")) =>
    `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;

  it("honours @revoked: a revoked key is never pinned, whatever host its line names", () => {
    const content = `off2.example ssh-ed25519 ${ED}\noff2.example ssh-ed25519 ${OTHER}\n@revoked * ssh-ed25519 ${ED}\n`;
    const known = readKnownHosts(content, "off2.example", 22);
    expect(known.keys.map((k) => k.blob)).toEqual([OTHER]);
    expect(known.revoked.map((k) => k.blob)).toEqual([ED]);
    expect(matchesPinned([parsePublicKeyLine(`ssh-ed25519 ${ED}`)!], Buffer.from(ED, "base64"), known.revoked)).toBe(false);
    expect(new HostKeyError("off2", known.keys, Buffer.from(ED, "base64"), true).message).toMatch(/which knownHosts marks @revoked/);
  });

  it("refuses a hostKey that knownHosts revokes", () => {
    const hosts = { off2: { address: "off2.example", hostKey: `ssh-ed25519 ${ED}`, knownHosts: `@revoked off2.example ssh-ed25519 ${ED}` } };
    expect(() => hostTable((k) => (k === "hosts" ? hosts : undefined))).toThrow(/zfs-fleet:hosts\.off2\.hostKey: that key is marked @revoked/);
  });

  it.each([
    ["a plain pattern", "off2.example"],
    ["a wildcard", "*.example"],
    ["a port form", "[off2.example]:22"],
    ["a hashed name", hashed("off2.example")],
  ])("refuses a @cert-authority line for the host (%s) instead of pinning the CA's key as the host's", (_what, pattern) => {
    const content = `@cert-authority ${pattern} ssh-ed25519 ${OTHER}\n`;
    expect(() => readKnownHosts(content, "off2.example", 22)).toThrow(/@cert-authority line applies to off2.example .*not supported/);
    const hosts = { off2: { address: "off2.example", knownHosts: content } };
    expect(() => hostTable((k) => (k === "hosts" ? hosts : undefined))).toThrow(/zfs-fleet:hosts\.off2\.knownHosts: a @cert-authority line/);
  });

  it("ignores a @cert-authority line for other hosts, and one the host is negated from", () => {
    expect(readKnownHosts(`@cert-authority *.other ssh-ed25519 ${OTHER}\noff2.example ssh-ed25519 ${ED}\n`, "off2.example", 22).keys).toHaveLength(1);
    expect(readKnownHosts(`@cert-authority *.example,!off2.example ssh-ed25519 ${OTHER}\n`, "off2.example", 22).keys).toEqual([]);
  });

  it("refuses a marker it does not know", () => {
    expect(() => readKnownHosts(`@trusted off2.example ssh-ed25519 ${ED}\n`, "off2.example", 22)).toThrow(/unknown marker @trusted/);
  });
});

describe("where a host's sanoid and syncoid files are", () => {
  const table = (files: Record<string, unknown>) => hostTable((k) => (k === "hosts" ? { off2: { address: "10.0.0.2", ...files } } : undefined));

  it("defaults to /etc/sanoid/, and may name another file there", () => {
    expect(table({}).off2.files).toEqual({ sanoidConf: "/etc/sanoid/sanoid.conf", syncoidArgs: "/etc/sanoid/syncoid-args.conf" });
    expect(table({ sanoidConf: "/etc/sanoid/sanoid-test.conf" }).off2.files.sanoidConf).toBe("/etc/sanoid/sanoid-test.conf");
  });

  it.each([
    ["/etc/shadow", /must be a file directly in \/etc\/sanoid\//],
    ["/etc/sanoid/../shadow", /empty, '\.' or '\.\.' component/],
    ["/etc/sanoid/./sanoid.conf", /empty, '\.' or '\.\.' component/],
    ["/etc/sanoid/sub/sanoid.conf", /directly in \/etc\/sanoid\//],
    ["/etc/sanoid/", /empty/],
    ["etc/sanoid/sanoid.conf", /absolute path/],
    ["/etc/sanoid/a b", /absolute path of plain characters/],
    ["/etc/sanoid/a\nb", /absolute path of plain characters/],
    ["/etc/sanoidx/sanoid.conf", /directly in \/etc\/sanoid\//],
  ])("refuses %j", (path, why) => {
    expect(() => table({ syncoidArgs: path })).toThrow(/zfs-fleet:hosts\.off2\.syncoidArgs: /);
    expect(() => table({ syncoidArgs: path })).toThrow(why);
  });

  it("reads sudo as a boolean, not as any non-empty text", () => {
    expect(table({ sudo: "false" }).off2.sudo).toBe(false);
    expect(table({ sudo: true }).off2.sudo).toBe(true);
    expect(() => table({ sudo: "no" })).toThrow(/sudo/);
  });
});

describe("settings from the environment", () => {
  it("are their defaults when unset or empty", () => {
    expect(settings({})).toEqual({ timeoutMs: 120_000, maxChannels: 8, swapWaitMs: 120_000, editAttempts: 60, maxOutputBytes: 64 << 20 });
    expect(settings({ ZFSFLEET_TIMEOUT_MS: "", ZFSFLEET_MAX_CHANNELS: "4" })).toMatchObject({ timeoutMs: 120_000, maxChannels: 4 });
  });

  it.each([
    ["ZFSFLEET_TIMEOUT_MS", "2m"],
    ["ZFSFLEET_TIMEOUT_MS", "NaN"],
    ["ZFSFLEET_TIMEOUT_MS", "0"],
    ["ZFSFLEET_TIMEOUT_MS", "-5"],
    ["ZFSFLEET_TIMEOUT_MS", "1e9"],
    ["ZFSFLEET_MAX_CHANNELS", "11"],
    ["ZFSFLEET_SWAP_WAIT_MS", "soon"],
    ["ZFSFLEET_EDIT_ATTEMPTS", "0"],
    ["ZFSFLEET_MAX_OUTPUT_BYTES", "1"],
  ])("refuses %s=%j, naming it and its bounds", (name, value) => {
    expect(() => settings({ [name]: value })).toThrow(ConfigError);
    expect(() => settings({ [name]: value })).toThrow(new RegExp(`${name}="${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" must be a whole number of \\w+ from \\d+ to \\d+`));
  });

  it("refuses a bad one at start: configure fails before any host is configured", () => {
    process.env.ZFSFLEET_TIMEOUT_MS = "2m";
    try {
      expect(() => configure(() => undefined)).toThrow(/ZFSFLEET_TIMEOUT_MS="2m"/);
    } finally {
      delete process.env.ZFSFLEET_TIMEOUT_MS;
    }
  });
});

describe("a command's output is capped", () => {
  it("keeps what comes within the limit, whole UTF-8 characters across chunks", () => {
    const b = new OutputBuffer(16);
    const e = Buffer.from("é");
    expect(b.add("out", Buffer.concat([Buffer.from("caf"), e.subarray(0, 1)]))).toBe(true);
    expect(b.add("out", e.subarray(1))).toBe(true);
    expect(b.add("err", Buffer.from("warn"))).toBe(true);
    expect([b.stdout, b.stderr]).toEqual(["café", "warn"]);
  });

  it("says when stdout and stderr together pass it", () => {
    const b = new OutputBuffer(8);
    expect(b.add("out", Buffer.alloc(5))).toBe(true);
    expect(b.add("err", Buffer.alloc(4))).toBe(false);
  });
});
