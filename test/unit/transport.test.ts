import { describe, expect, it } from "vitest";
import { hostTable } from "../../provider/config";
import { HostKeyError, fingerprint, keysFromKnownHosts, matchesPinned, parsePublicKeyLine } from "../../provider/transport/hostkey";
import { RemoteCommandError, run, stats } from "../../provider/transport";
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
