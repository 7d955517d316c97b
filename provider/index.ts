// The provider's public face, in two roles:
//
// - The Pulumi program imports the resource classes from here: in this
//   repository `import { Dataset } from "./provider"` (Node resolves the
//   folder through provider/package.json, so once `make build` has run the
//   program too runs the compiled classes; before, ts-node runs the TypeScript
//   sources); elsewhere `import { Dataset } from "zfs-fleet-provider"`, the
//   packed package (provider/README.md), whose `exports` map gives these
//   classes and their Args/Outputs types and nothing else.
// - The dynamic-provider host loads the compiled form of this module by
//   package name (`require("zfs-fleet-provider")`, the loader in shim.ts) and
//   takes `dynamicProvider(kind)`; states written by 0.2.0 call
//   `configure(get)` and `providers[kind].<method>(...)` instead. Those three
//   are internal: exported for the host only, left out of the package's type
//   declarations (`@internal`, stripInternal).
//
// The configuration is read under the fixed namespace `zfs-fleet:` whatever
// the consuming project is called (`zfs-fleet:hosts`, `zfs-fleet:sshPrivateKey`,
// `zfs-fleet:sshAgent`): the SDK's config reader uses a key that names its
// namespace as is, and prefixes a bare key with the project's name, which
// made the documented keys work only in a project named zfs-fleet.
//
// A resource kind K lives in one folder, provider/<dir>/:
//   schema.ts    `defineKind({ kind: "K", inputs, outputs, rules, ... })` (kind.ts):
//                each input once, with its type, default, doc line, secrecy
//                and what a change of it does;
//   provider.ts  the lifecycle `check, diff, create, read, update, remove` with
//                the signatures of pulumi.dynamic.ResourceProvider (`remove` is
//                `delete`, a reserved word); check and diff are the kind's
//                (`kind.check`, `kind.diff` plus what only K knows);
//   index.ts     `class K extends resourceClass(kind)` (resource.ts);
// plus K in shim.ts's `Kind`, its module in KINDS below, and its page in
// docs/resources/ (the input table is written by `npm run docs`).
// Modules are loaded on first use, so the provider process loads only the
// kinds the stack has, and a kind still being written does not stop the others.
import type * as pulumi from "@pulumi/pulumi";
import { ConfigError, hostTable, settings } from "./config";
import type { Kind } from "./shim";
import { configureHosts } from "./transport";

export { Dataset, type DatasetArgs, type DatasetOutputs } from "./dataset";
export { Delegation, type DelegationArgs, type DelegationOutputs } from "./delegation";
export { NfsShare, type NfsShareArgs, type NfsShareOutputs } from "./nfs";
export { SanoidPolicy, SanoidTemplate, type SanoidPolicyArgs, type SanoidPolicyOutputs, type SanoidTemplateArgs } from "./sanoid";
export { SyncoidPull, type SyncoidPullArgs, type SyncoidPullOutputs } from "./syncoid";
/** @internal Counters of the remote commands this process ran (tests and benchmarks). */
export { stats, type HostStats } from "./transport";

/** The provider's configuration namespace, the same whatever the consuming project is called. */
const CONFIG_NAMESPACE = "zfs-fleet";
/** The keys the provider reads, each as `zfs-fleet:<key>`. */
const CONFIG_KEYS = ["hosts", "sshPrivateKey", "sshAgent"] as const;

/**
 * @internal From the shims' configure: `get` is the SDK's config reader
 * (`req.config.get`), which takes a key with its namespace as is and puts
 * the consuming project's name before a bare key. The provider asks for
 * `zfs-fleet:<key>`; a key the stack set under the project's own namespace
 * instead (`tank-ops:hosts` in a project named tank-ops) would otherwise be
 * ignored without a word, so it is refused, naming the key to use.
 */
export function configure(get: (key: string) => unknown): void {
  try {
    settings();
    const own = (key: string) => get(`${CONFIG_NAMESPACE}:${key}`);
    const misplaced = CONFIG_KEYS.filter((key) => own(key) === undefined && get(key) !== undefined);
    if (misplaced.length > 0) {
      throw new ConfigError(
        `the stack sets ${misplaced.map((k) => `"${k}"`).join(", ")} under the project's own namespace, which this provider does not read: ` +
          `its keys are ${CONFIG_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")} whatever the project is called ` +
          `(pulumi config set --path ${CONFIG_NAMESPACE}:hosts.<host>.address ...)`,
      );
    }
    configureHosts(hostTable(own));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`reading the stack config: ${(err as Error).message}`);
  }
}

type Lifecycle = Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;

const KINDS: Record<Kind, string> = {
  Dataset: "./dataset/provider",
  Delegation: "./delegation/provider",
  NfsShare: "./nfs/provider",
  SanoidPolicy: "./sanoid/provider",
  SyncoidPull: "./syncoid/provider",
};

const loaded = new Map<Kind, Lifecycle>();

function lifecycle(kind: Kind): Lifecycle {
  let impl = loaded.get(kind);
  if (!impl) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require(KINDS[kind]);
    for (const fn of ["check", "diff", "create", "read", "update", "remove"]) {
      if (typeof m[fn] !== "function") throw new Error(`provider ${KINDS[kind]} does not export ${fn}() for ${kind}`);
    }
    impl = { check: m.check, diff: m.diff, create: m.create, read: m.read, update: m.update, delete: m.remove };
    loaded.set(kind, impl);
  }
  return impl;
}

/**
 * @internal A result as the engine can take it. The dynamic-provider host encodes what check, create,
 * read and update return as a protobuf Struct, which has no undefined: one optional field left
 * undefined anywhere fails the whole call ("Unexpected struct type"), as a refresh of SyncoidPull
 * lines without a user once did. An undefined field is dropped, an undefined list element is null.
 */
export function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : plain(v))) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
  return out as T;
}

/** @internal A kind's lifecycle as the engine gets it: what check, create, read and update return, made plain. */
export function forEngine(impl: () => Lifecycle): Lifecycle {
  return {
    check: async (olds: any, news: any) => plain(await impl().check(olds, news)),
    diff: (id: string, olds: any, news: any) => impl().diff(id, olds, news),
    create: async (inputs: any) => plain(await impl().create(inputs)),
    read: async (id: string, props: any) => plain(await impl().read(id, props)),
    update: async (id: string, olds: any, news: any) => plain(await impl().update(id, olds, news)),
    delete: (id: string, props: any) => impl().delete(id, props),
  };
}

/** @internal The implementation of each resource kind, as the 0.2.0 shims (still in older states) call it. */
export const providers = Object.fromEntries((Object.keys(KINDS) as Kind[]).map((kind) => [kind, forEngine(() => lifecycle(kind))])) as Record<Kind, Lifecycle>;

const dynamicProviders = new Map<Kind, pulumi.dynamic.ResourceProvider>();

/**
 * @internal What the loader stored as `__provider` (shim.ts) hands the dynamic-provider host: the
 * kind's lifecycle and a `configure` that gives the provider the stack's config. The host calls
 * `configure` once per loader text, so once per kind and process, before any other method.
 */
export function dynamicProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  if (!Object.hasOwn(KINDS, kind)) throw new Error(`zfs-fleet-provider has no resource kind ${JSON.stringify(kind)}`);
  let p = dynamicProviders.get(kind);
  if (!p) {
    p = {
      ...providers[kind],
      async configure(req) {
        configure((key: string) => {
          try {
            return req.config.get(key);
          } catch {
            return undefined; // the engine may check before it configures
          }
        });
      },
    };
    dynamicProviders.set(kind, p);
  }
  return p;
}
