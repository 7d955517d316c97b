// The provider's public face. The program imports the resource classes; the
// dynamic-provider host loads the compiled form of this module by package
// name (see shim.ts) and calls `configure` and `providers[kind]`.
import { ConfigError, hostTable } from "./config";
import * as dataset from "./dataset/provider";
import * as delegation from "./delegation/provider";
import * as nfsShare from "./nfs/provider";
import * as sanoidPolicy from "./sanoid/provider";
import * as syncoidPull from "./syncoid/provider";
import { configureHosts } from "./transport";

export { Dataset, type DatasetArgs } from "./dataset";
export { Delegation, type DelegationArgs } from "./delegation";
export { NfsShare, type NfsShareArgs } from "./nfs";
export { SanoidPolicy, SanoidTemplate, type SanoidPolicyArgs, type SanoidTemplateArgs } from "./sanoid";
export { SyncoidPull, type SyncoidPullArgs } from "./syncoid";
export { stats } from "./transport";

export function configure(get: (key: string) => unknown): void {
  try {
    configureHosts(hostTable(get));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`reading the stack config: ${(err as Error).message}`);
  }
}

export const providers = {
  Dataset: {
    check: dataset.check,
    diff: dataset.diff,
    create: dataset.create,
    read: dataset.read,
    update: dataset.update,
    delete: dataset.remove,
  },
  Delegation: { check: delegation.check, diff: delegation.diff, create: delegation.create, read: delegation.read, update: delegation.update, delete: delegation.remove },
  NfsShare: { check: nfsShare.check, diff: nfsShare.diff, create: nfsShare.create, read: nfsShare.read, update: nfsShare.update, delete: nfsShare.remove },
  SanoidPolicy: { check: sanoidPolicy.check, diff: sanoidPolicy.diff, create: sanoidPolicy.create, read: sanoidPolicy.read, update: sanoidPolicy.update, delete: sanoidPolicy.remove },
  SyncoidPull: { check: syncoidPull.check, diff: syncoidPull.diff, create: syncoidPull.create, read: syncoidPull.read, update: syncoidPull.update, delete: syncoidPull.remove },
};
