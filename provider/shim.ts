// The dynamic providers Pulumi serializes into each resource's state.
//
// Pulumi stores the provider object's code in the state (`__provider`) and
// runs it from there. These shims are all that is stored: each method loads
// the compiled provider by package name (`zfs-fleet-provider`, the npm
// file: dependency on this folder, built by `make build`) and forwards the
// call to the implementation registered under `kind`. State stays small, the
// code that runs is the checked-out one (also for deletes, which Pulumi runs
// with the provider stored in the old state), and a kind's `diff` ignores
// `__provider`, so a change of provider code alone never shows in a preview.
//
// Using it for a new resource kind K:
//   1. add K to `Kind` below and its lifecycle module to KINDS in index.ts;
//   2. the module (provider/<dir>/provider.ts) exports check, diff, create,
//      read, update, remove with pulumi.dynamic.ResourceProvider's signatures;
//      check and diff make no remote call; diff returns `changes: false` when
//      only `__provider` differs;
//   3. the resource class: `class K extends pulumi.dynamic.Resource`, calling
//      `super(shimFor("K"), name, {...args, <outputs>: undefined}, opts, "zfs", "K")`.
// The stack's config reaches the transport through `configure` (see
// config.ts): hosts and credentials never enter inputs, outputs or state.
//
// Keep this file free of imports other than types: whatever it references is
// serialized with it, and any change here changes `__provider` of every
// resource (harmless, since diff ignores it, but noisy in `stack export`).
import type * as pulumi from "@pulumi/pulumi";

export type Kind = "Dataset" | "Delegation" | "NfsShare" | "SanoidPolicy" | "SyncoidPull";

// One shim object per kind for the whole program: the SDK serializes a
// provider once per object (a WeakMap in pulumi.dynamic.Resource), and the
// serialization (V8's inspector walking the closures) costs more than the
// rest of a resource's registration. A fresh object per resource made a
// 1000-dataset preview pay it 1000 times.
const shims = new Map<Kind, pulumi.dynamic.ResourceProvider>();

export function shimFor(kind: Kind): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) shims.set(kind, (shim = makeShim(kind)));
  return shim;
}

function makeShim(kind: Kind): pulumi.dynamic.ResourceProvider {
  return {
    async configure(req) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("zfs-fleet-provider").configure((key: string) => {
        try {
          return req.config.get(key);
        } catch {
          return undefined; // the engine may check before it configures
        }
      });
    },
    async check(olds, news) {
      return require("zfs-fleet-provider").providers[kind].check(olds, news);
    },
    async diff(id, olds, news) {
      return require("zfs-fleet-provider").providers[kind].diff(id, olds, news);
    },
    async create(inputs) {
      return require("zfs-fleet-provider").providers[kind].create(inputs);
    },
    async read(id, props) {
      return require("zfs-fleet-provider").providers[kind].read(id, props);
    },
    async update(id, olds, news) {
      return require("zfs-fleet-provider").providers[kind].update(id, olds, news);
    },
    async delete(id, props) {
      return require("zfs-fleet-provider").providers[kind].delete(id, props);
    },
  };
}
