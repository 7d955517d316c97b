// Each kind's input table in docs/resources/ is written from its schema
// (provider/kind.ts, renderInputs): this test fails when a page and its schema
// disagree. `npm run docs` rewrites the tables (ZFSFLEET_WRITE_DOCS=1).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { providers } from "../../provider";
import { datasetKind } from "../../provider/dataset/schema";
import { delegationKind } from "../../provider/delegation/schema";
import { type ResourceKind, renderInputs } from "../../provider/kind";
import { nfsShareKind } from "../../provider/nfs/schema";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import { syncoidPullKind } from "../../provider/syncoid/schema";

const PAGES: { kind: ResourceKind<any, any>; page: string; schema: string }[] = [
  { kind: datasetKind, page: "dataset.md", schema: "provider/dataset/schema.ts" },
  { kind: delegationKind, page: "delegation.md", schema: "provider/delegation/schema.ts" },
  { kind: nfsShareKind, page: "nfs-share.md", schema: "provider/nfs/schema.ts" },
  { kind: sanoidPolicyKind, page: "sanoid-policy.md", schema: "provider/sanoid/schema.ts" },
  { kind: syncoidPullKind, page: "syncoid-pull.md", schema: "provider/syncoid/schema.ts" },
];
const END = "<!-- /inputs -->";

describe("docs/resources: each input table is its schema's", () => {
  it("covers every kind", () => {
    expect(PAGES.map((p) => p.kind.kind).sort()).toEqual(Object.keys(providers).sort());
  });

  it.each(PAGES)("$schema -> docs/resources/$page", ({ kind, page, schema }) => {
    const file = join(__dirname, "../../docs/resources", page);
    const text = readFileSync(file, "utf8");
    const start = `<!-- inputs: written from ${schema} by \`npm run docs\`; test/unit/docs.test.ts checks it -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(END, from);
    expect(from, `${page} has no ${start} ... ${END} block`).toBeGreaterThanOrEqual(0);
    expect(to, `${page}: ${END} missing`).toBeGreaterThan(from);
    const table = text.slice(from + start.length, to).trim();
    const wanted = renderInputs(kind);
    if (process.env.ZFSFLEET_WRITE_DOCS && table !== wanted) {
      writeFileSync(file, `${text.slice(0, from + start.length)}\n${wanted}\n${text.slice(to)}`);
      return;
    }
    expect(table, `${page} disagrees with ${schema}: run npm run docs`).toBe(wanted);
  });
});
