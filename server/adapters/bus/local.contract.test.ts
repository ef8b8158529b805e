// The bus contract against the in-process bus (one node: the cross-node rules do not apply to it).

import { busContract } from "../../test/contracts/bus.contract";
import { createLocalBus } from "./local";

busContract({ network: false, open: async () => createLocalBus() });
