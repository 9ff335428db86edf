import { createFakeClock } from '../../../src/core';
import { createSilentLogger } from '../../../src/logging';
import { EmbeddedStore } from '../../../src/store';
import { tmpDir } from '../../helpers/tmp';
import { describeStoreConformance } from './conformance';

describeStoreConformance('embedded', async () => {
  const dir = tmpDir('breakglass-store-');
  const clock = createFakeClock();
  const store = await EmbeddedStore.open({
    dataDir: dir.path,
    groupCommitWindowMs: 1,
    compactAfterBytes: 1 << 20,
    fsync: true,
    segmentBytes: 65_536,
    sweepIntervalMs: 60_000,
    logger: createSilentLogger(),
    clock,
  });
  return {
    store,
    peer: store,
    clock,
    close: async () => {
      await store.close();
      dir.cleanup();
    },
  };
});
