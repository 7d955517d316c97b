import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fleet, runFleet } from "../../tools/fleet";
import { type Preview, review } from "../../tools/review";
import type { StackRun } from "../../tools/runner";
import { type Project, makeProject, repo } from "./project";

// The fleet runner (tools/fleet.ts through the Automation API) on a throwaway
// fleet of three stacks of one project: a and b read nothing, c reads a's
// output through a StackReference. Each program takes a few seconds, so that
// two stacks running side by side overlap plainly.
const program = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset } from "./fake";

export = async () => {
  const stack = pulumi.getStack();
  const config = new pulumi.Config();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  if (stack === "c") {
    const a = new pulumi.StackReference("organization/" + pulumi.getProject() + "/a");
    const source = a.getOutput("name").apply((n) => (n as string | undefined) ?? "zfs-hdd/a");
    new Dataset("pull-target", { host: "c", name: source.apply((n) => "rpool/from-" + n.replace(/\\//g, "-")), properties: {} });
    return {};
  }
  const d = new Dataset("main", {
    host: stack,
    name: config.get("name") ?? "zfs-hdd/" + stack,
    properties: { compression: config.get("compression") ?? "lz4" },
    onDelete: "retain",
  });
  return { name: (d as unknown as { name: pulumi.Output<string> }).name };
};
`;

const overlap = (x: StackRun, y: StackRun) => x.firstEventAt! < y.lastEventAt! && y.firstEventAt! < x.lastEventAt!;

describe("the fleet runner, through the Automation API", () => {
  let p: Project;
  let fleet: Fleet;
  let lines: string[] = [];
  let runs: { run: StackRun; what: string }[] = [];
  const run = async (...argv: string[]) => {
    lines = [];
    runs = [];
    const saved = { ...process.env };
    Object.assign(process.env, p.env); // the Automation API runs the CLI with this process's environment
    try {
      return await runFleet(fleet, argv, { log: (l) => lines.push(l), onRun: (r, what) => runs.push({ run: r, what }) });
    } finally {
      process.env = saved;
    }
  };
  const runOf = (stack: string, what: string) => runs.find((r) => r.run.stack === stack && r.what === what)!.run;
  const config = (stack: string, key: string, value: string) => p.pulumi("config", "set", key, value, "-s", stack);
  const recordedName = async (stack: string, resource: string) =>
    (JSON.parse(await p.pulumi("stack", "export", "-s", stack)).deployment.resources as { urn: string; outputs: { name?: string } }[]).find((r) =>
      r.urn.endsWith(`::${resource}`),
    )?.outputs.name;

  beforeAll(async () => {
    p = makeProject("fleet", { "index.ts": program });
    for (const s of ["a", "b", "c"]) await p.pulumi("stack", "init", s);
    fleet = {
      workDir: p.dir,
      policyPacks: [],
      stacks: [
        { name: "a", reads: {} },
        { name: "b", reads: {} },
        { name: "c", reads: { a: 1 } },
      ],
    };
  });
  afterAll(() => p?.remove());

  it("lists the stacks in the order their references need", async () => {
    expect(await run("stacks")).toBe(0);
    expect(lines).toEqual(["a", "b", "c"]);
  });

  it("applies a and b side by side, and c, which reads a, after a; every line names its stack", async () => {
    const t0 = Date.now();
    expect(await run("up"), lines.join("\n")).toBe(0);
    const total = Date.now() - t0;
    const [a, b] = [runOf("a", "up"), runOf("b", "up")];
    expect(overlap(runOf("a", "preview"), runOf("b", "preview"))).toBe(true);
    expect(overlap(a, b)).toBe(true);
    expect(runOf("c", "preview").startedAt).toBeGreaterThanOrEqual(a.endedAt);
    expect(lines.filter((l) => /^\[(a|b|c)\] /.test(l)).length).toBeGreaterThan(6);
    expect(lines.some((l) => /^\[a\] \+ Dataset main created \(\d+\.\d s\)$/.test(l)), lines.join("\n")).toBe(true);
    expect(await recordedName("c", "pull-target")).toBe("rpool/from-zfs-hdd-a");
    const serial = runs.reduce((sum, r) => sum + (r.run.endedAt - r.run.startedAt), 0);
    console.log(`fleet up of a, b, c: ${(total / 1000).toFixed(1)} s side by side; its runs one after the other: ${(serial / 1000).toFixed(1)} s`);
  });

  it("previews side by side too, and writes each stack's preview where --json-dir says, for the review", async () => {
    await config("b", "name", "zfs-hdd/b-renamed");
    expect(await run("preview", "--json-dir", join(p.dir, "previews")), lines.join("\n")).toBe(0);
    expect(overlap(runOf("a", "preview"), runOf("b", "preview"))).toBe(true);
    const previewOf = (s: string) => JSON.parse(readFileSync(join(p.dir, "previews", `${s}.json`), "utf8")) as Preview;
    expect(review("b", previewOf("b")).renames).toEqual(["Dataset zfs-hdd/b -> zfs-hdd/b-renamed"]);
    expect(lines).toContain("== b");
    expect(lines).toContain("    Dataset zfs-hdd/b -> zfs-hdd/b-renamed");
    expect(readFileSync(join(p.dir, "previews", "review.md"), "utf8")).toMatch(/^\*\*zfs-fleet preview\*\*: `a` no changes · `b` 1 renames · `c` no changes/);
  });

  it("runs one stack at a time with --sequential, for comparison", async () => {
    let t0 = Date.now();
    expect(await run("preview")).toBe(0);
    const sideBySide = Date.now() - t0;
    t0 = Date.now();
    expect(await run("preview", "--sequential")).toBe(0);
    const oneByOne = Date.now() - t0;
    expect(overlap(runOf("a", "preview"), runOf("b", "preview"))).toBe(false);
    expect(runOf("b", "preview").startedAt).toBeGreaterThanOrEqual(runOf("a", "preview").endedAt);
    console.log(`fleet preview of a, b, c: ${(sideBySide / 1000).toFixed(1)} s side by side, ${(oneByOne / 1000).toFixed(1)} s with --sequential`);
  });

  describe("a saved, reviewed plan", () => {
    const saved = () => join(p.dir, "reviewed");

    it("is refused when the program changed in a way the review did not show, naming the difference, and nothing is applied", async () => {
      await config("a", "compression", "zstd");
      expect(await run("preview", "--save", saved()), lines.join("\n")).toBe(0);
      for (const f of ["manifest.json", "review.txt", "review.md", "a.json", "a.plan.json", "b.plan.json", "c.plan.json"]) {
        expect(() => readFileSync(join(saved(), f))).not.toThrow();
      }
      // After the review: b's dataset is given another name than the one reviewed.
      await config("b", "name", "zfs-hdd/b-other");
      expect(await run("up", "--from", saved())).toBe(1);
      const out = lines.join("\n");
      expect(out).toContain(`b: REFUSED: what the program would do now is not what was reviewed (${saved()}):\n  Dataset main: name "zfs-hdd/b-other" now, "zfs-hdd/b-renamed" in the review`);
      expect(out).toContain("Nothing was applied.");
      expect(await recordedName("b", "main")).toBe("zfs-hdd/b");
      expect(runs.filter((r) => r.what === "up")).toEqual([]);
    });

    it("applies exactly when unchanged", async () => {
      await config("b", "name", "zfs-hdd/b-renamed");
      expect(await run("up", "--from", saved()), lines.join("\n")).toBe(0);
      expect(await recordedName("b", "main")).toBe("zfs-hdd/b-renamed");
      expect(runs.filter((r) => r.what === "up").map((r) => r.run.stack).sort()).toEqual(["a", "b", "c"]);
      expect(await run("preview")).toBe(0);
      expect(lines.join("\n")).not.toMatch(/to update|to create|to replace|to delete/);
    });

    it("is refused by the engine itself for a plain pulumi up --plan of a changed program", async () => {
      await config("b", "name", "zfs-hdd/b-third");
      expect(await run("preview", "--save", saved())).toBe(0);
      await config("b", "name", "zfs-hdd/b-fourth");
      const up = await p.attempt("up", "--yes", "--skip-preview", "-s", "b", "--plan", join(saved(), "b.plan.json"));
      expect(up.code).not.toBe(0);
      expect(up.output).toMatch(/violates plan: properties changed: .*name\[\{zfs-hdd\/b-third\}!=\{zfs-hdd\/b-fourth\}\]/);
      expect(await recordedName("b", "main")).toBe("zfs-hdd/b-renamed");
    });

    it("refuses a reader whose source's outputs this very run changed, since its review did not see them", async () => {
      await config("b", "name", "zfs-hdd/b-renamed");
      await config("a", "name", "zfs-hdd/a-moved");
      expect(await run("preview", "--save", saved())).toBe(0);
      expect(lines.join("\n")).toContain("note: c was previewed with the current outputs of a, which this plan changes");
      expect(await run("up", "--from", saved())).toBe(1);
      expect(await recordedName("a", "main")).toBe("zfs-hdd/a-moved");
      const out = lines.join("\n");
      expect(out).toContain(
        'c: REFUSED: what the program would do now is not what was reviewed (' + saved() + '):\n' +
          '  Dataset pull-target: update, which the review did not show (name "rpool/from-zfs-hdd-a" -> "rpool/from-zfs-hdd-a-moved")\n' +
          "  (c reads a, applied in this run: review c again now that its outputs are in place)",
      );
    });
  });

  describe("with the policy pack, as the fleet runs it", () => {
    it("refuses a replacement with the pack's message in the review, and applies it only with --allow-destroy", async () => {
      fleet = { ...fleet, policyPacks: [join(repo, "policy")] };
      await config("a", "name", "zfs-hdd/a"); // c's reviewed source, as the last up left it aside
      expect(await run("up")).toBe(0);
      await config("b", "name", "rpool/b");
      expect(await run("up")).toBe(1);
      const out = lines.join("\n");
      expect(out).toContain("policy dataset-data-kept (zfs-fleet-policy): Dataset b:zfs-hdd/b-renamed would be REPLACED by an empty b:rpool/b");
      expect(await recordedName("b", "main")).toBe("zfs-hdd/b-renamed");
      expect(await run("up", "--allow-destroy"), lines.join("\n")).toBe(0);
      expect(await recordedName("b", "main")).toBe("rpool/b");
    });
  });
});
