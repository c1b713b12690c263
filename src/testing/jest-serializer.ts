// The jest snapshot serializer as a module of its own, for jest's `snapshotSerializers` option
// (which loads a module that exports `test` and `serialize`):
//   "jest": { "snapshotSerializers": ["meshjob/lib/testing/jest-serializer"] }
import { meshJobSnapshotSerializer } from './index';

export const test = meshJobSnapshotSerializer.test;
export const serialize = meshJobSnapshotSerializer.serialize;
