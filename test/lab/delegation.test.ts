// `zfs allow` as OpenZFS prints it: the pull model's delegations (hold,send for each puller).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeConnections, out, resetLab, run, sh } from "./support";

const fixtures = join(__dirname, "..", "fixtures", "openzfs-2.1");

beforeAll(resetLab);
afterAll(closeConnections);

describe("delegations on off2", () => {
  beforeAll(async () => {
    await run(
      "off2",
      ["zfs-hdd", "zfs-nvme", "rpool"]
        .flatMap((pool) => [sh`zfs allow off1operator hold,send ${pool}`, sh`zfs allow ovh3operator hold,send ${pool}`])
        .concat(sh`zfs create -p zfs-hdd/off/users`)
        .join(" && "),
    );
  });

  it("zfs allow shows off1operator and ovh3operator with hold,send, as in the report", async () => {
    expect(await out("off2", sh`zfs allow zfs-hdd`)).toBe(
      [
        "---- Permissions on zfs-hdd ------------------------------------------",
        "Local+Descendent permissions:",
        "\tuser off1operator hold,send",
        "\tuser ovh3operator hold,send",
        "",
      ].join("\n"),
    );
    expect(await out("off2", sh`zfs allow rpool`)).toContain(
      "---- Permissions on rpool --------------------------------------------\nLocal+Descendent permissions:\n",
    );
  });

  it("the captured fixture is exactly what this OpenZFS prints", async () => {
    expect(await out("off2", sh`zfs allow zfs-hdd`)).toBe(
      readFileSync(join(fixtures, "zfs-allow-off2-zfs-hdd.txt"), "utf8"),
    );
  });

  it("asking about a child also prints its parent's block", async () => {
    // A dataset's own block is printed only when it has grants of its own.
    await run("off2", sh`zfs allow -l -u off1operator userprop zfs-hdd/off/users`);
    const text = await out("off2", sh`zfs allow zfs-hdd/off/users`);
    expect(text).toContain("---- Permissions on zfs-hdd/off/users ");
    expect(text).toContain("---- Permissions on zfs-hdd ");
    expect(text.indexOf("zfs-hdd/off/users")).toBeLessThan(text.indexOf("Permissions on zfs-hdd -"));
  });

  it("a local-only or descendent-only grant is printed in its own block", async () => {
    await run(
      "off2",
      sh`zfs allow -l -u off1operator snapshot zfs-hdd/off && zfs allow -d -g ovh3operator destroy zfs-hdd/off`,
    );
    const text = await out("off2", sh`zfs allow zfs-hdd/off`);
    expect(text).toMatch(/---- Permissions on zfs-hdd\/off -+\nLocal permissions:\n\tuser off1operator snapshot\nDescendent permissions:\n\tgroup ovh3operator destroy\n/);
  });

  it("ovh3operator may send but not snapshot or destroy", async () => {
    const snap = await run(
      "off2",
      sh`su - ovh3operator -c 'zfs snapshot zfs-hdd/off/users@nope'`,
      { allowFailure: true },
    );
    expect(snap.exitCode).not.toBe(0);
    expect(snap.stderr).toMatch(/permission denied/i);
    await run("off2", sh`zfs snapshot zfs-hdd/off/users@ok`);
    const send = await run("off2", sh`su - ovh3operator -c 'zfs send zfs-hdd/off/users@ok | wc -c'`);
    expect(Number(send.stdout.trim())).toBeGreaterThan(0);
  });
});
