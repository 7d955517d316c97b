import { describe, expect, it } from "vitest";
import { type PreviewStep, hazardousSteps, render, review } from "../../tools/review";

const urn = (type: string, name: string) => `urn:pulumi:lab-ovh3::zfs-fleet::${type}::${name}`;
const DS = "pulumi-nodejs:zfs:Dataset";

const step = (op: string, name: string, olds?: Record<string, unknown>, news?: Record<string, unknown>): PreviewStep => ({
  op,
  urn: urn(DS, name),
  oldState: olds && { inputs: olds, outputs: olds },
  newState: news && { type: DS, inputs: news },
});

describe("the review summary of a preview", () => {
  it("lists renames as old -> new and says nothing is destroyed", () => {
    const r = review("lab-ovh3", {
      steps: [
        step("update", "rpool/off/clones", { name: "rpool/off/clones" }, { name: "rpool/staging-clones" }),
        step("create", "rpool/off-backups", undefined, { name: "rpool/off-backups" }),
        step("create", "rpool/off", undefined, { name: "rpool/off", adopt: true }),
        step("same", "rpool/off", { name: "rpool/off" }, { name: "rpool/off" }),
      ],
    });
    expect(r.renames).toEqual(["Dataset rpool/off/clones -> rpool/staging-clones"]);
    expect(r.creates).toEqual(["Dataset rpool/off-backups"]);
    expect(r.adopts).toEqual(["Dataset rpool/off"]);
    expect(r.destroys).toEqual([]);
    expect(render([r])).toMatch(/^No dataset is destroyed or replaced\./);
  });

  it("puts replacements and destroys first, loudly, and keeps retained deletions apart", () => {
    const r = review("lab-off2", {
      steps: [
        step("update", "a", { name: "zfs-hdd/a" }, { name: "zfs-hdd/b" }),
        step("replace", "moved-pool", { name: "zfs-hdd/x" }, { name: "zfs-nvme/x" }),
        step("delete", "gone", { name: "zfs-hdd/gone", onDelete: "destroy" }),
        step("delete", "kept", { name: "zfs-hdd/kept" }),
      ],
    });
    expect(r.destroys).toEqual([
      "Dataset moved-pool is REPLACED (delete + create) because of: name",
      "Dataset zfs-hdd/gone: zfs destroy",
    ]);
    expect(r.releases).toEqual(["Dataset zfs-hdd/kept (left on the host, data kept)"]);
    const text = render([r]);
    expect(text.split("\n")[0]).toMatch(/DATA WOULD BE DESTROYED OR REPLACED/);
    expect(text.indexOf("REPLACED (delete")).toBeLessThan(text.indexOf("renames"));
  });

  it("shows on a Dataset's move or removal the hazards its last read found, and the program's acknowledgements", () => {
    const found = ["zfs-hdd/off/products: lxc 101 (process 2322: sleep infinity), in its own mount namespace, has zfs-nvme/off/products mounted at /mnt/off/products"];
    const r = review("lab-off2", {
      steps: [
        step("update", "products", { name: "zfs-hdd/off/products", hazards: found }, { name: "zfs-hdd/off/products-old", acknowledgeHazards: ["bindMount:101"] }),
        step("delete", "aside", { name: "zfs-hdd/aside", onDelete: "renameAside", hazards: ["zfs-hdd/aside: NFS client 10.0.0.3 has files open"], acknowledgeHazards: ["configuredContainer:102"] }),
        step("delete", "kept", { name: "zfs-hdd/kept", hazards: ["zfs-hdd/kept: held"] }),
        step("update", "props", { name: "zfs-hdd/p", hazards: ["zfs-hdd/p: held"] }, { name: "zfs-hdd/p", properties: { atime: "off" } }),
      ],
    });
    expect(r.renames).toEqual(["Dataset zfs-hdd/off/products -> zfs-hdd/off/products-old (acknowledged hazards: bindMount:101)"]);
    expect(r.releases).toContain("Dataset zfs-hdd/aside (renamed aside, data kept) (acknowledged hazards: configuredContainer:102)");
    // A retained removal and a property change touch nothing the holders see: no warning for them.
    expect(r.warnings).toEqual([
      `Dataset zfs-hdd/off/products -> zfs-hdd/off/products-old: ${found[0]}`,
      "Dataset zfs-hdd/aside (onDelete: renameAside): zfs-hdd/aside: NFS client 10.0.0.3 has files open",
    ]);
    expect(render([r])).toContain("warnings:\n    Dataset zfs-hdd/off/products -> zfs-hdd/off/products-old: zfs-hdd/off/products: lxc 101");
  });

  it("a warning the provider writes on its standard error (info#err, `warning: ...`) is a warning; diff's copy of the recorded hazards is left to the step's", () => {
    const r = review("lab-off2", {
      steps: [step("update", "a", { name: "zfs-hdd/a", hazards: ["zfs-hdd/a: held"] }, { name: "zfs-hdd/b" })],
      diagnostics: [
        { severity: "info#err", message: "warning: off2: zfs-hdd/new is exported over NFS the moment it exists\n" },
        { severity: "info#err", message: "warning: Dataset off2:zfs-hdd/a -> zfs-hdd/b: the last read found: zfs-hdd/a: held" },
        { severity: "info#err", message: "some other line of the provider" },
      ],
    });
    expect(r.warnings).toEqual(["Dataset zfs-hdd/a -> zfs-hdd/b: zfs-hdd/a: held", "off2: zfs-hdd/new is exported over NFS the moment it exists"]);
  });

  it("the steps the hazard scan is for: a Dataset's rename, a removal by renameAside or destroy", () => {
    const steps = [
      step("update", "renamed", { name: "p/a" }, { name: "p/b" }),
      step("update", "props", { name: "p/c" }, { name: "p/c", properties: { atime: "off" } }),
      step("update", "unknown", { name: "p/d" }, { name: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }),
      step("delete", "aside", { name: "p/e", onDelete: "renameAside" }),
      step("delete", "destroyed", { name: "p/f", onDelete: "destroy" }),
      step("delete", "kept", { name: "p/g" }),
      { ...step("update", "pull", { target: "p/a" }, { target: "p/b" }), urn: urn("pulumi-nodejs:zfs:SyncoidPull", "pull") },
    ];
    expect(hazardousSteps({ steps }).map((s) => s.urn.split("::").pop())).toEqual(["renamed", "aside", "destroyed"]);
  });

  it("ignores a change of the provider's code alone", () => {
    const r = review("s", {
      steps: [step("update", "a", { name: "p/a", __provider: "old" }, { name: "p/a", __provider: "new" })],
    });
    expect(r.updates).toEqual([]);
    expect(r.renames).toEqual([]);
  });

  it("shows a policy, pull or share that follows a renamed dataset as old -> new, and an unknown new name as a plain update", () => {
    const pull = "pulumi-nodejs:zfs:SyncoidPull";
    const r = review("lab-ovh3", {
      steps: [
        { op: "update", urn: urn(pull, "rpool/backups/off1-pve"), oldState: { inputs: { target: "rpool/backups/off1-pve" } }, newState: { type: pull, inputs: { target: "rpool/off-backups/off1-pve" } } },
        { op: "update", urn: urn(pull, "rpool/off"), oldState: { inputs: { target: "rpool/off", enabled: false } }, newState: { type: pull, inputs: { target: "rpool/off", enabled: true } } },
        { op: "update", urn: urn(pull, "x"), oldState: { inputs: { target: "rpool/x" } }, newState: { type: pull, inputs: { target: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } } },
      ],
    });
    expect(r.renames).toEqual([]);
    expect(r.updates).toEqual([
      "SyncoidPull rpool/backups/off1-pve -> rpool/off-backups/off1-pve (follows the rename)",
      "SyncoidPull rpool/off: enabled",
      "SyncoidPull x: target",
    ]);
  });
});
