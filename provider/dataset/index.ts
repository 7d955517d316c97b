// Dataset: a ZFS filesystem, its name and its properties. See docs/resources/dataset.md.
import { type OutputProperties, resourceClass } from "../resource";
import { datasetKind } from "./schema";

export type { DatasetArgs, DatasetOutputs } from "./schema";

export interface Dataset extends OutputProperties<typeof datasetKind> {}
export class Dataset extends resourceClass(datasetKind) {}
