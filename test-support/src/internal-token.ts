import { newInternalToken } from '@user-service/common/config';

/** The secret test aggregators ask of every /internal/* call, and test gateways present. */
export const TEST_INTERNAL_TOKEN = newInternalToken();
