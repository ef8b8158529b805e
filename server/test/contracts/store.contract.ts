// The Store contract: every rule of ports/store.ts (and its uploads, blobs, push and identities sub-stores) as tests, run against each adapter.

import { afterAll, describe } from "bun:test";
import { accountRules } from "./store/accounts";
import { appendRules } from "./store/append";
import { effectRules } from "./store/effects";
import type { StoreFactory } from "./store/fixtures";
import { historyRules } from "./store/history";
import { instanceRules } from "./store/instances";
import { roomRules } from "./store/rooms";
import { searchRules } from "./store/search";
import { secretRules } from "./store/secrets";
import { leaseRules } from "./store/leases";
import { mailRules } from "./store/mail";
import { sideStoreRules } from "./store/side-stores";
import { identityRules } from "./store/identities";
import { teamRules } from "./store/team";
import { depthRules } from "./store/depth";

export type { StoreFactory } from "./store/fixtures";

/**
 * Registers the suite for one adapter. Each describe block opens its own fresh database through
 * `factory.open()`; tests inside a block share it and keep apart by making their own users and rooms.
 */
export function storeContract(name: string, factory: StoreFactory) {
  describe(`store contract: ${name}`, () => {
    appendRules(factory);
    effectRules(factory);
    historyRules(factory);
    roomRules(factory);
    searchRules(factory);
    accountRules(factory);
    teamRules(factory);
    depthRules(factory);
    sideStoreRules(factory);
    identityRules(factory);
    secretRules(factory);
    leaseRules(factory);
    mailRules(factory);
    instanceRules(factory);
    afterAll(() => factory.cleanup());
  });
}
