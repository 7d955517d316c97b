// The program every host stack runs: the host's part of the fleet description
// (stacks/fleet.ts), in the layout the stack's config names (`zfs-fleet:layout`,
// default `current`): datasets, the delegations the pulling hosts need, the
// snapshot policies, the pulls it runs (and, in the legacy layout, the pushes
// it used to run), and its NFS shares.
//
// Cross-host facts come from the other host stacks: a pull's source dataset
// and operator user are read from the source host's stack outputs, so a rename
// on the source reaches the pull line on the puller's next `up`. The stacks
// are named `<prefix><host>` (off2, lab-off2): a stack reads the stack of the
// same prefix. off1 and off2 pull from each other, a cycle: each reads the
// other's last applied outputs, and the fleet description stands in for an
// output the other stack does not have yet (a stack never applied).
import * as pulumi from "@pulumi/pulumi";
import { Dataset, Delegation, NfsShare, SanoidPolicy, SanoidTemplate, SyncoidPull } from "../provider";
import {
  type HostName,
  type Layout,
  type Names,
  PULLERS,
  PULL_PERMISSIONS,
  PUSHES,
  SHARES,
  datasetsOf,
  delegationsOf,
  nameIn,
  operatorOf,
  parentOf,
  policiesOf,
  policyArgs,
  pullArgs,
  pullsOf,
  templatesOf,
} from "./fleet";

export interface HostOutputs {
  host: HostName;
  layout: Layout;
  /** Dataset key -> its current full name, for the stacks that pull from this host. */
  datasets: pulumi.Output<Record<string, string>>;
  /** Puller host -> the user it pulls from this host as. */
  operators: Record<string, string>;
  /** The operator users this host delegates to, with the permissions they hold, per pool. */
  delegations: pulumi.Output<Record<string, string[]>>;
  /** Target -> the syncoid-args.conf line that fills it. */
  pulls: pulumi.Output<Record<string, string>>;
}

export function layoutOf(config: pulumi.Config): Layout {
  const layout = config.get("layout") ?? "current";
  if (layout !== "legacy" && layout !== "current") {
    throw new Error(`zfs-fleet:layout must be "legacy" or "current", not "${layout}"`);
  }
  return layout;
}

/** The stack of another host: same prefix as this stack (`lab-ovh3` reads `lab-off2`). */
export function stackOf(host: HostName, other: HostName, stack: string): string {
  const prefix = stack.endsWith(host) ? stack.slice(0, stack.length - host.length) : "";
  return `${prefix}${other}`;
}

const record = <T>(entries: pulumi.Output<[string, T]>[]): pulumi.Output<Record<string, T>> =>
  pulumi.all(entries).apply((e) => Object.fromEntries(e) as Record<string, T>) as pulumi.Output<Record<string, T>>;

/**
 * What this host reads from the stacks of the hosts it pulls from: the
 * current name of a dataset (by key) and the user to pull as. A value the
 * other stack does not have yet (never applied) comes from the fleet
 * description, in this stack's layout.
 */
export class SourceStacks {
  private readonly references = new Map<HostName, pulumi.StackReference>();

  constructor(
    private readonly host: HostName,
    private readonly layout: Layout,
    private readonly stack = pulumi.getStack(),
  ) {}

  private of(from: HostName): pulumi.StackReference {
    let ref = this.references.get(from);
    if (!ref) {
      ref = new pulumi.StackReference(stackOf(this.host, from, this.stack));
      this.references.set(from, ref);
    }
    return ref;
  }

  /** A dataset of `from` by its key (its name follows renames there), or a pool root as is. */
  dataset(from: HostName, key: string): pulumi.Output<string> {
    return this.of(from)
      .getOutput("datasets")
      .apply((names) => (names as Record<string, string> | undefined)?.[key] ?? nameIn(from, key, this.layout));
  }

  /** The user `from` delegates to this host's pulls. */
  user(from: HostName): pulumi.Output<string> {
    return this.of(from)
      .getOutput("operators")
      .apply((users) => (users as Record<string, string> | undefined)?.[this.host] ?? operatorOf(this.host));
  }
}

export function hostProgram(host: HostName): HostOutputs {
  const layout = layoutOf(new pulumi.Config());

  // Datasets. A dataset waits for its parent: a new parent exists before
  // datasets move into it, and a moved parent is in place before its children
  // are renamed.
  const wanted = datasetsOf(host, layout);
  const datasets = new Map<string, Dataset>();
  for (const d of wanted) {
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
  /** A dataset key's live name (follows renames in this `up`); a pool root as is. */
  const nameOf = (key: string): pulumi.Input<string> => datasets.get(key)?.name ?? nameIn(host, key, layout);
  // A pull's source dataset and user come from the source hosts' stacks.
  const sources = new SourceStacks(host, layout);
  const live: Names<pulumi.Input<string>> = {
    dataset: nameOf,
    source: (from, key) => sources.dataset(from, key),
    user: (from) => sources.user(from),
  };
  const after = (key: string): pulumi.Resource[] => (datasets.has(key) ? [datasets.get(key)!] : []);

  // Grants on the pool roots, inherited by every dataset below, so they stay
  // whatever moves inside the pool.
  const grants = delegationsOf(host).map((g) =>
    new Delegation(g.key, { host, dataset: g.pool, who: { user: g.user }, permissions: [...PULL_PERMISSIONS] })
      .held.apply((held): [string, string[]] => [g.key, held]),
  );

  // Snapshot policies: the templates first, then each dataset's section.
  const templates = Object.entries(templatesOf(host)).map(
    ([name, settings]) => new SanoidTemplate(`template_${name}`, { host, name, settings }),
  );
  for (const p of policiesOf(host, layout)) {
    new SanoidPolicy(p.dataset, { host, ...policyArgs(host, p, layout, live) }, { dependsOn: [...templates, ...after(p.dataset)] });
  }

  // Pulls, with their sources from the source hosts' stacks.
  const pulls = pullsOf(host, layout).map((p) => {
    const pullResource = new SyncoidPull(p.key, { host, ...pullArgs(host, p, layout, live) }, { dependsOn: after(p.target) });
    return pulumi.all([pullResource.target, pullResource.line]).apply(([t, l]): [string, string] => [t, l]);
  });
  // The old pushes: adopted by the legacy program, removed by the current one.
  if (layout === "legacy") {
    for (const p of PUSHES[host]) {
      new SyncoidPull(p.key, { host, source: { dataset: p.source }, target: p.target, flags: p.flags });
    }
  }

  // NFS shares, after every dataset of the host is in place: settling the
  // exports runs `zfs share -a` over the whole host, which must not meet a
  // rename half done (children of a shared dataset are renamed after it).
  for (const s of SHARES[host]) {
    new NfsShare(s.dataset, { host, dataset: nameOf(s.dataset), clients: s.clients, options: s.options }, { dependsOn: [...datasets.values()] });
  }

  const names = [...datasets].map(([key, ds]) => ds.name.apply((name): [string, string] => [key, name]));
  return {
    host,
    layout,
    datasets: record(names),
    operators: Object.fromEntries(PULLERS[host].map((puller) => [puller, operatorOf(puller)])),
    delegations: record(grants),
    pulls: record(pulls),
  };
}
