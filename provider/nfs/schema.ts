// The NfsShare's inputs and outputs, declared once (see ../kind.ts): the
// class, check, diff and docs/resources/nfs-share.md's table come from here.
import { z } from "zod";
import { type ArgsOf, type CheckedInputsOf, type InputsOf, type OutputsOf, defineKind, hostInput, isUnknown } from "../kind";
import { datasetNameProblem, named } from "../names";
import { ACCESS, type ExportLine, addressProblem, clientsKey, optionProblem } from "./sharenfs";

const sameList = (a: readonly string[] = [], b: readonly string[] = []) => JSON.stringify(a) === JSON.stringify(b);

export const nfsShareKind = defineKind({
  kind: "NfsShare",
  inputs: z.object({
    host: hostInput(),
    dataset: z.string().meta({ description: "the dataset to share, usually a Dataset's `name` output" }),
    clients: z
      .array(z.object({ address: z.string(), access: z.enum(ACCESS) }).strict())
      .default([])
      .meta({ description: "who may mount, `{address, access}`: an IPv4 address, CIDR network or host name; `rw` or `ro`" }),
    options: z.array(z.string()).default([]).meta({
      description:
        "exports(5) options: `no_root_squash`, `root_squash`, `all_squash`, `crossmnt`, `nohide`, `sync`, `async`, `no_subtree_check`, " +
        "`secure`, `insecure`, `sec=sys[:krb5...]`, `anonuid=N`, `anongid=N`, `fsid=...`",
    }),
    allowEveryone: z.boolean().default(false).meta({
      description:
        "with no clients, export to every host (`sharenfs=on`); also needed for a client network wider than /16 (`10.0.0.0/8`, `0.0.0.0/0`); both refused unless set",
    }),
  }),
  outputs: z.object({
    datasetGuid: z.string().meta({ description: "guid of the shared dataset (follows renames)" }),
    sharenfs: z.string().meta({ description: "the sharenfs value on the dataset, as ZFS reports it" }),
    mountpoint: z.string().meta({ description: "where the dataset is mounted" }),
    exports: z.custom<ExportLine[]>().meta({ description: "what the NFS server exports for the dataset's mountpoint (`exportfs -v`)" }),
    inheritedBy: z.array(z.string()).meta({ description: "children that inherit the share and are therefore exported too" }),
    staleExports: z.array(z.string()).meta({ description: "lines of zfs.exports for paths no longer shared, seen at the last read (fixed by the next update)" }),
  }),
  rules(d, p) {
    p.check("dataset", d.dataset, (name) => named(name, datasetNameProblem(name, { poolRoot: true })));
    if (!isUnknown(d.clients)) {
      const everyone = isUnknown(d.allowEveryone) || d.allowEveryone === true;
      d.clients.forEach((c, i) => p.check(`clients[${i}].address`, c.address, (a) => addressProblem(a, everyone)));
      p.unique(
        "clients",
        d.clients.map((c) => c.address),
      );
    }
    p.each("options", d.options, optionProblem);
    if (!isUnknown(d.clients) && d.clients.length === 0 && d.allowEveryone === false) {
      p.add(
        "clients",
        "no clients: the share would be exported to every host (sharenfs=on). List the clients, or set allowEveryone: true if that is what you mean",
      );
    }
  },
  warnings: {
    from: ["dataset", "clients", "allowEveryone"],
    of: ({ dataset, clients = [], allowEveryone }) => {
      if (allowEveryone !== true || !Array.isArray(clients)) return [];
      const wide = clients.filter((c) => typeof c?.address === "string" && addressProblem(c.address) !== undefined && addressProblem(c.address, true) === undefined);
      if (clients.length === 0) return [`NfsShare of ${dataset}: exported to every host (allowEveryone, sharenfs=on)`];
      return wide.map((c) => `NfsShare of ${dataset}: exported to ${c.address}, every host or nearly (allowEveryone)`);
    },
  },
  same: {
    clients: (a = [], b = []) => sameList(clientsKey(a), clientsKey(b)),
    options: (a = [], b = []) => sameList([...a].sort(), [...b].sort()),
  },
  deleteBeforeReplace: false,
});

/** As the program gives them or a state holds them (see InputsOf). */
export type NfsShareInputs = InputsOf<typeof nfsShareKind>;
/** As check returns them: what create and update receive. */
export type CheckedNfsShareInputs = CheckedInputsOf<typeof nfsShareKind>;
export type NfsShareOutputs = OutputsOf<typeof nfsShareKind>;
export type NfsShareArgs = ArgsOf<typeof nfsShareKind>;
