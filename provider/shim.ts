// What each resource's state holds as its dynamic provider (`__provider`).
//
// Pulumi's dynamic-provider host evaluates the text of `__provider` as a
// module and calls `handler()` to get the provider object. The SDK's
// `pulumi.dynamic.Resource` fills it by serializing a provider object
// (V8's inspector walking its closures): for our forwarding shims that was
// 2.9 KB per resource, stored twice (inputs and outputs), 5.8 KB of a
// Dataset's 8.3 KB of state. Our classes register the same type tokens
// themselves (resource.ts) with the loader below instead: a line that names
// the package and the kind, and nothing else. So:
//   - the code that runs is the checked-out one, `require("zfs-fleet-provider")`
//     resolved from the project (deletes too, which Pulumi runs with the
//     provider text stored in the old state);
//   - the text never changes with the provider's code, and a kind's `diff`
//     ignores `__provider` anyway, so a change of provider code alone never
//     shows in a preview;
//   - the host caches a provider per distinct text: one per kind per process.
//
// States written before (0.2.0) hold the serialized shims, which call
// `require("zfs-fleet-provider").configure(get)` and `.providers[kind].<method>`:
// the package keeps exporting both (index.ts), so those states still read,
// update and delete with the checked-out code (test/unit/shim.test.ts runs
// the 0.2.0 text, test/fixtures/zfs-fleet-0.2.0/).
//
// Adding a resource kind K: add K to `Kind` below and its lifecycle module to
// KINDS in index.ts; the module (provider/<dir>/provider.ts) exports check,
// diff, create, read, update, remove with pulumi.dynamic.ResourceProvider's
// signatures; check and diff make no remote call; diff returns
// `changes: false` when only `__provider` differs. The class is
// `class K extends resourceClass(kind)` (resource.ts).
// The stack's config reaches the transport through `configure` (see
// config.ts): hosts and credentials never enter inputs, outputs or state.

export type Kind = "Dataset" | "Delegation" | "NfsShare" | "SanoidPolicy" | "SyncoidPull";

/** The package the loader requires: the npm name of provider/ (a `file:` dependency of the project). */
export const PACKAGE = "zfs-fleet-provider";

/** The type token of a kind's class, as `pulumi.dynamic.Resource` made it: part of every URN, it must not change. */
export function typeToken(type: string): string {
  return `pulumi-nodejs:dynamic/zfs:${type}`;
}

/** The text stored as `__provider` for every resource of `kind`. */
export function loaderFor(kind: Kind): string {
  return `exports.handler = () => require(${JSON.stringify(PACKAGE)}).dynamicProvider(${JSON.stringify(kind)});`;
}
