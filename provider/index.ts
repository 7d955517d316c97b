// The provider's public face. The program imports the resource classes; the
// dynamic-provider host loads the compiled form of this module by package
// name (see shim.ts) and calls `configure` and `providers[kind]`.
import { ConfigError, hostTable } from "./config";
import * as dataset from "./dataset/provider";
import { configureHosts } from "./transport";

export { Dataset, type DatasetArgs } from "./dataset";
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
};
