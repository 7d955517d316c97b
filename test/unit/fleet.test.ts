import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATASETS, HOSTS, PULLERS, datasetsOf, delegationsOf, parentOf } from "../../stacks/fleet";

const seedLines = (host: string): string[][] =>
  readFileSync(join(__dirname, "../../lab/seed/legacy", host, "layout"), "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/));

const seedLayout = (host: string): string[] =>
  readFileSync(join(__dirname, "../../lab/seed/legacy", host, "layout"), "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .flatMap(([verb, a, b]) => (verb === "dataset" ? [a] : verb === "clone" ? [b] : []));

describe("the fleet description", () => {
  it.each(HOSTS)("describes %s's legacy layout exactly as the lab seeds it", (host) => {
    expect(datasetsOf(host, "legacy").map((d) => d.name).sort()).toEqual(seedLayout(host).sort());
  });

  it.each(HOSTS)("gives every dataset of %s one key and distinct names in each layout", (host) => {
    const keys = DATASETS[host].map((d) => d.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const layout of ["legacy", "current"] as const) {
      const names = datasetsOf(host, layout).map((d) => d.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it.each(HOSTS)("moves %s's datasets only within their pool (a rename, never a copy)", (host) => {
    for (const d of DATASETS[host]) {
      if (d.names.legacy && d.names.current) {
        expect(d.names.current.split("/")[0]).toBe(d.names.legacy.split("/")[0]);
      }
    }
  });

  it("lists parents before children, so a new parent exists before datasets move into it", () => {
    const current = datasetsOf("ovh3", "current");
    const at = (name: string) => current.findIndex((d) => d.name === name);
    expect(at("rpool/off-backups")).toBeLessThan(at("rpool/off-backups/off2-pve"));
    expect(parentOf("rpool/staging-clones/off-images", current)?.name).toBe("rpool/staging-clones");
    expect(parentOf("rpool/off-backups", current)).toBeUndefined();
  });

  it("keeps robotoff and monitoring-volumes under the NFS-shared backups on ovh3", () => {
    const names = datasetsOf("ovh3", "current").map((d) => d.name);
    expect(names).toContain("rpool/backups/robotoff");
    expect(names).toContain("rpool/backups/monitoring-volumes");
    expect(names.filter((n) => n.startsWith("rpool/backups/"))).toHaveLength(2);
  });

  it.each(HOSTS)("delegates on %s exactly what the lab seeds (so adopting the legacy fleet grants nothing)", (host) => {
    const seeded = seedLines(host)
      .filter(([verb]) => verb === "allow")
      .map(([, user, perms, pool]) => `${user} ${perms} ${pool}`)
      .sort();
    expect(delegationsOf(host).map((g) => `${g.user} hold,send ${g.pool}`).sort()).toEqual(seeded);
  });

  it("delegates only on hosts that others pull from, never to a host's own operator", () => {
    expect(delegationsOf("ovh3")).toEqual([]);
    for (const host of HOSTS) {
      expect(PULLERS[host]).not.toContain(host);
      expect(new Set(delegationsOf(host).map((g) => g.key)).size).toBe(delegationsOf(host).length);
    }
  });
});
