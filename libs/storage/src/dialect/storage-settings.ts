// The storage settings of an app: the MONGO_* variables (libs/telemetry config/common.ts) and
// STORAGE_DIALECT, read and validated at boot in the same readEnv call, so a bad value is reported
// with every other bad variable. STORAGE_DIALECT lives here because its values name the servers,
// which only libs/storage does.
import { env, type EnvValues, mongoEnv, type MongoSettings, mongoSettings } from '@tokenmeter/telemetry';
import { STORAGE_DIALECT_CHOICES, type StorageDialectChoice } from './storage-dialect';

export const storageEnv = {
  ...mongoEnv,
  STORAGE_DIALECT: env.oneOf(STORAGE_DIALECT_CHOICES, {
    description:
      'storage dialect: `auto` (the server that answers), `mongodb` (range reads, compare-and-set), `ferretdb` (point reads by _id)',
    default: 'auto',
  }),
};

export interface StorageSettings extends MongoSettings {
  /** The dialect to use (storage-dialect.ts); absent or `auto`: the server's own, from `buildInfo`. */
  dialect?: StorageDialectChoice;
}

export function storageSettings(e: EnvValues<typeof storageEnv>): StorageSettings {
  return { ...mongoSettings(e), dialect: e.STORAGE_DIALECT };
}
