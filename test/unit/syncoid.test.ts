import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  duplicateTargets,
  endpointProblem,
  flagProblem,
  lineProblems,
  parseArgs,
  parsePullLine,
  removePull,
  renderPull,
  setPull,
} from "../../provider/syncoid/args";

// The operators' ovh3 file as the lab seeds it: prose comments, paused pulls, active pulls.
const OVH3 = readFileSync(join(__dirname, "..", "..", "lab", "seed", "legacy", "ovh3", "syncoid-args.conf"), "utf8");
const FLAGS = ["--no-sync-snap", "--no-privilege-elevation", "--recursive"];
const offPull = {
  flags: FLAGS,
  source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" },
  target: "rpool/off",
  enabled: true,
};

describe("reading syncoid-args.conf", () => {
  it("tells pulls, paused pulls and prose apart", () => {
    const lines = parseArgs(OVH3);
    expect(lines.map((l) => l.raw).join("")).toBe(OVH3);
    const pulls = lines.filter((l) => l.pull).map((l) => `${l.pull!.enabled ? "on" : "off"} ${l.pull!.target}`);
    expect(pulls).toEqual([
      "off rpool/obf",
      "off rpool/opf",
      "off rpool/opff",
      "off rpool/off",
      "off rpool/off/products",
      "off rpool/backups/off2-rpool",
      "on rpool/backups/off1-pve",
      "on rpool/backups/off1-pve-nvme",
      "on rpool/backups/off1-rpool",
    ]);
    expect(parsePullLine("# obf opf opff\n")).toBeUndefined();
    expect(parsePullLine("# obf opf\n")).toBeUndefined();
    expect(parsePullLine("## pulling from off1\n")).toBeUndefined();
  });

  it("reads a line as the service splits it", () => {
    expect(parsePullLine("--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off\n")).toEqual(offPull);
    expect(parsePullLine("rpool/a   rpool/b")).toEqual({ flags: [], source: { user: undefined, host: undefined, dataset: "rpool/a" }, target: "rpool/b", enabled: true });
  });

  it("reports the same target pulled twice and a '#' the service would pass on", () => {
    const text = `${renderPull(offPull)}\n${renderPull({ ...offPull, flags: [] })}\n`;
    expect(duplicateTargets(parseArgs(text))).toEqual([{ target: "rpool/off", lines: [1, 2] }]);
    expect(lineProblems("  #--no-sync-snap a:b/c rpool/x\n--no-sync-snap a:b/c rpool/y # note\n# fine\n")).toEqual([
      "line 1: '#' not in column 0 is passed to syncoid as an argument",
      "line 2: '#' not in column 0 is passed to syncoid as an argument",
    ]);
  });
});

describe("editing one pull, keeping every other line", () => {
  it("enabling a paused pull rewrites only its line", () => {
    const after = setPull(OVH3, offPull);
    const before = OVH3.split("\n");
    const changed = after.split("\n").flatMap((l, i) => (l === before[i] ? [] : [[before[i], l]]));
    expect(changed).toEqual([
      [
        "#--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off",
        "--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off",
      ],
    ]);
  });

  it("pausing a pull comments its line, as operators do", () => {
    const paused = setPull(OVH3, {
      flags: FLAGS,
      source: { user: "ovh3operator", host: "off1.openfoodfacts.org", dataset: "rpool" },
      target: "rpool/backups/off1-rpool",
      enabled: false,
    });
    expect(paused).toBe(OVH3.replace("\n--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off1.openfoodfacts.org:rpool", "\n#--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off1.openfoodfacts.org:rpool"));
  });

  it("a renamed target's line follows the new name in place", () => {
    const moved = setPull(
      OVH3,
      { ...offPull, source: { ...offPull.source, host: "off1.openfoodfacts.org", dataset: "zfs-hdd/pve" }, target: "rpool/off-backups/off1-pve" },
      { previousTarget: "rpool/backups/off1-pve" },
    );
    expect(moved.split("\n").length).toBe(OVH3.split("\n").length);
    expect(moved).toContain("\n--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off1.openfoodfacts.org:zfs-hdd/pve rpool/off-backups/off1-pve\n");
    expect(moved).not.toContain(" rpool/backups/off1-pve\n");
  });

  it("a new pull is appended; applying it again changes nothing", () => {
    const p = { ...offPull, target: "rpool/new" };
    const once = setPull(OVH3, p);
    expect(once).toBe(`${OVH3}${renderPull(p)}\n`);
    expect(setPull(once, p)).toBe(once);
    expect(setPull("", p)).toBe(`${renderPull(p)}\n`);
    expect(setPull("# no newline", p)).toBe(`# no newline\n${renderPull(p)}\n`);
  });

  it("refuses to edit a target pulled twice unless told to keep one", () => {
    const text = `${renderPull(offPull)}\n# between\n${renderPull({ ...offPull, flags: [] })}\n`;
    expect(() => setPull(text, offPull)).toThrow(/2 lines pull into rpool\/off \(lines 1, 3\)/);
    expect(setPull(text, offPull, { resolveDuplicates: true })).toBe(`${renderPull(offPull)}\n# between\n`);
  });

  it("removing a pull removes its line only", () => {
    expect(removePull(OVH3, "rpool/backups/off1-rpool")).toBe(
      OVH3.replace("--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off1.openfoodfacts.org:rpool rpool/backups/off1-rpool\n", ""),
    );
  });
});

describe("flags and values the service can carry", () => {
  it.each(["--no-sync-snap", "--no-privilege-elevation", "-r", "--recursive", "--skip-parent", "--sendoptions=w", "--recvoptions=u", "--identifier=ovh3:off-1.a_b", "--sshport=2222", "--sshkey=/root/.ssh/id_pull", "--sshoption=StrictHostKeyChecking=yes", "--no-rollback", "--use-hold", "--compress=zstd-fast"])(
    "accepts %s",
    (f) => expect(flagProblem(f)).toBeUndefined(),
  );
  it.each([
    ["--sendoptions=Lc e", /white space/],
    ["--recvoptions=o compression=lz4", /white space/],
    ["--identifier=a#b", /'#'/],
    ["--identifier=a/b", /letters, digits, - _ : \. only/],
    ["--identifier", /needs a value/],
    ["--recursive=yes", /takes no value/],
    ["--frobnicate", /not a syncoid option/],
    ["-x", /not a syncoid option/],
    ["--sshport=22;reboot", /not a valid value/],
    ["--sshkey=~/.ssh/key", /not a valid value/],
    ["--sshoption=ProxyCommand=sh -c", /white space/],
    ["--compress=bzip9", /not a valid value/],
    ["", /non-empty/],
    ["--no-sync-snap\n--debug", /white space/],
  ])("refuses %j", (f, why) => expect(flagProblem(f)).toMatch(why));

  it.each([
    [{ user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" }, undefined],
    [{ dataset: "rpool/off" }, undefined],
    [{ user: "ovh3operator", dataset: "zfs-hdd/off" }, /user but no host/],
    [{ host: "off2", dataset: "zfs-hdd/my data" }, /white space or '#'/],
    [{ host: "off2", dataset: "zfs-hdd/a#b" }, /white space or '#'/],
    [{ host: "off 2", dataset: "zfs-hdd/a" }, /not a host name/],
    [{ user: "-oProxyCommand=x", host: "off2", dataset: "zfs-hdd/a" }, /not a Unix user name/],
    [{ host: "off2", dataset: "-r" }, /not a ZFS dataset name/],
    [{ host: "off2", dataset: "zfs-hdd/../x" }, /not a ZFS dataset name/],
  ] as const)("endpoint %j", (e, why) => {
    const p = endpointProblem(e as never, "source");
    if (why) expect(p).toMatch(why);
    else expect(p).toBeUndefined();
  });
});
