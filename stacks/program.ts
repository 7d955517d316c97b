// The program every host stack runs: the host's datasets from the fleet
// description (stacks/fleet.ts), in the layout the stack's config names
// (`zfs-fleet:layout`, default `current`).
import * as pulumi from "@pulumi/pulumi";
import { Dataset, Delegation } from "../provider";
import { type HostName, type Layout, PULL_PERMISSIONS, datasetsOf, delegationsOf, parentOf } from "./fleet";

export interface HostOutputs {
  host: HostName;
  layout: Layout;
  /** Dataset key -> its current full name, for the stacks that pull from this host. */
  datasets: pulumi.Output<Record<string, string>>;
  /** The operator users this host delegates to, with the permissions they hold, per pool. */
  delegations: pulumi.Output<Record<string, string[]>>;
}

export function layoutOf(config: pulumi.Config): Layout {
  const layout = config.get("layout") ?? "current";
  if (layout !== "legacy" && layout !== "current") {
    throw new Error(`zfs-fleet:layout must be "legacy" or "current", not "${layout}"`);
  }
  return layout;
}

export function hostProgram(host: HostName): HostOutputs {
  const layout = layoutOf(new pulumi.Config());
  const wanted = datasetsOf(host, layout);
  const datasets = new Map<string, Dataset>();
  for (const d of wanted) {
    // A dataset waits for its parent: a new parent exists before datasets move
    // into it, and a moved parent is in place before its children are renamed.
    const parent = parentOf(d.name, wanted);
    datasets.set(
      d.key,
      new Dataset(
        d.key,
        { host, name: d.name, properties: d.properties ?? {}, adopt: true },
        { dependsOn: parent ? [datasets.get(parent.key)!] : [] },
      ),
    );
  }
  // Grants on the pool roots, inherited by every dataset below, so they stay
  // whatever moves inside the pool (Delegation follows its dataset anyway).
  const grants = delegationsOf(host).map((g) =>
    new Delegation(g.key, { host, dataset: g.pool, who: { user: g.user }, permissions: [...PULL_PERMISSIONS] })
      .held.apply((held): [string, string[]] => [g.key, held]),
  );
  const names = [...datasets].map(([key, ds]) => ds.name.apply((name): [string, string] => [key, name]));
  return {
    host,
    layout,
    datasets: pulumi.all(names).apply((entries) => Object.fromEntries(entries)),
    delegations: pulumi.all(grants).apply((entries) => Object.fromEntries(entries)),
  };
}
