import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { type Preview, planDifferences, previewFromEvents, render, renderMarkdown, review } from "../../tools/review";

// One preview of the same program, captured both ways from the real CLI (see the fixtures' README).
const fixtures = join(__dirname, "../fixtures/pulumi-3.276");
const events = JSON.parse(readFileSync(join(fixtures, "preview-events.json"), "utf8")) as EngineEvent[];
const json = JSON.parse(readFileSync(join(fixtures, "preview.json"), "utf8")) as Preview;

describe("the review from the engine's structured events", () => {
  it("lists the same steps, with the same inputs, as pulumi preview --json", () => {
    const shape = (p: Preview) =>
      (p.steps ?? [])
        .filter((s) => s.op !== "same")
        .map((s) => ({ op: s.op, urn: s.urn, olds: s.oldState?.inputs, news: s.newState?.inputs }))
        .sort((a, b) => a.urn.localeCompare(b.urn));
    const fromEvents = previewFromEvents(events);
    expect(shape(fromEvents)).toEqual(shape(json));
    expect(fromEvents.changeSummary).toEqual(json.changeSummary);
  });

  it("reviews to the same content either way", () => {
    expect(review("s", previewFromEvents(events))).toEqual(review("s", json));
    expect(review("s", json)).toMatchObject({
      destroys: ["Dataset b is REPLACED (delete + create) because of: name", "Dataset zfs-hdd/c: zfs destroy"],
      renames: ["Dataset zfs-hdd/a -> zfs-hdd/a2"],
      creates: ["Dataset zfs-hdd/d"],
    });
  });

  it("makes a policy violation an error naming its policy", () => {
    const violation = {
      sequence: 1,
      timestamp: 0,
      policyEvent: {
        resourceUrn: "urn:pulumi:s::ev::pulumi-nodejs:dynamic/zfs:Dataset::b",
        message: "A Dataset the stack manages, and so its data, is never destroyed or replaced\nDataset off2:zfs-hdd/b would be REPLACED\n",
        color: "never",
        policyName: "dataset-data-kept",
        policyPackName: "zfs-fleet-policy",
        policyPackVersion: "0.1.0",
        policyPackVersionTag: "0.1.0",
        enforcementLevel: "mandatory",
      },
    } as EngineEvent;
    expect(review("s", previewFromEvents([violation])).errors).toEqual(["policy dataset-data-kept (zfs-fleet-policy): Dataset off2:zfs-hdd/b would be REPLACED"]);
  });
});

describe("the review as Markdown for a pull request", () => {
  const reviews = [review("lab-off2", json), review("lab-off1", { steps: [] })];

  it("opens with each stack's counts on one line, then the data at risk", () => {
    const md = renderMarkdown(reviews).split("\n");
    expect(md[0]).toBe("**zfs-fleet preview**: `lab-off2` 2 destroyed or replaced, 1 renames, 1 creates · `lab-off1` no changes");
    expect(md.slice(2, 5)).toEqual(["> [!CAUTION]", "> **Data would be destroyed or replaced: read these first**", "> - `lab-off2: Dataset b is REPLACED (delete + create) because of: name`"]);
  });

  it("says what the text review says, stack by stack", () => {
    const md = renderMarkdown(reviews);
    for (const line of render(reviews).split("\n")) {
      const item = line.trim().replace(/^!! /, "");
      if (item && !item.startsWith("==") && !item.endsWith(":") && !item.startsWith("!!!")) expect(md).toContain(item);
    }
    expect(md).toContain("### lab-off2\n\n**renames (zfs rename, data and identity kept)**\n\n- `Dataset zfs-hdd/a -> zfs-hdd/a2`");
  });
});

describe("what a preview shows now, against the reviewed one", () => {
  const reviewed = previewFromEvents(events);

  it("finds no difference in the same preview", () => {
    expect(planDifferences(reviewed, previewFromEvents(events))).toEqual([]);
  });

  it("names each difference: a changed input, a new step, a step gone, another op", () => {
    const now: Preview = JSON.parse(JSON.stringify(reviewed));
    const a = now.steps!.find((s) => s.urn.endsWith("::a"))!;
    a.newState!.inputs!.name = "zfs-hdd/a3";
    now.steps = now.steps!.filter((s) => !s.urn.endsWith("::d"));
    now.steps.find((s) => s.urn.endsWith("::b"))!.op = "update";
    now.steps.push({ op: "create", urn: "urn:pulumi:s::ev::pulumi-nodejs:dynamic/zfs:Dataset::x", newState: { type: "pulumi-nodejs:dynamic/zfs:Dataset", inputs: { name: "zfs-hdd/x" } } });
    expect(planDifferences(reviewed, now)).toEqual([
      'Dataset a: name "zfs-hdd/a3" now, "zfs-hdd/a2" in the review',
      "Dataset b: update now, replace in the review",
      "Dataset d: the review showed create, which would no longer happen",
      "Dataset x: create, which the review did not show",
    ]);
  });
});

describe("what a preview shows now, beside the provider's code", () => {
  it("is no difference when only __provider changed, as in the review", () => {
    const reviewed = previewFromEvents(events);
    const now: Preview = JSON.parse(JSON.stringify(reviewed));
    for (const s of now.steps!) if (s.newState?.inputs) s.newState.inputs.__provider = "exports.handler = other;";
    expect(planDifferences(reviewed, now)).toEqual([]);
  });
});
