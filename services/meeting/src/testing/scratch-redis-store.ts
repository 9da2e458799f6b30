import { openKeyValueStore, type KeyValueStore } from '@darktower/data';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { KvMeetingStore } from '../state/kv-meeting-store.ts';

/** A store on real Redis under a prefix of its own, whose keys are deleted on close. */
export class ScratchRedisStore extends KvMeetingStore {
  readonly #kv: KeyValueStore;
  constructor(kv: KeyValueStore) {
    super(kv);
    this.#kv = kv;
  }
  static async open(): Promise<ScratchRedisStore> {
    return new ScratchRedisStore(
      await openKeyValueStore({ url: testRedisUrl(), prefix: uniquePrefix('mc-test') }),
    );
  }
  override async close(): Promise<void> {
    const keys = await this.#kv.keys('').catch(() => []);
    if (keys.length > 0) await this.#kv.del(...keys);
    await super.close();
  }
}
