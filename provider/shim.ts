// The dynamic providers Pulumi serializes into each resource's state.
//
// Pulumi stores the provider object's code in the state (`__provider`) and
// runs it from there. These shims are all that is stored: each method loads
// the compiled provider by package name (`zfs-fleet-provider`, the npm
// file: dependency on this folder, built by `make build`) and forwards the
// call to the implementation registered under `kind`. State stays small, the
// code that runs is the checked-out one, and `diff` ignores `__provider`, so
// a change of provider code alone never shows as a change in a preview.
import type * as pulumi from "@pulumi/pulumi";

export type Kind = "Dataset" | "Delegation" | "NfsShare" | "SanoidPolicy" | "SyncoidPull";

export function shimFor(kind: Kind): pulumi.dynamic.ResourceProvider {
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
