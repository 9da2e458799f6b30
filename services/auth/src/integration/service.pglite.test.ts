import { serviceCredentialsSuite } from '../testing/service-suite.ts';
import { pgliteTarget } from '../testing/targets.ts';

serviceCredentialsSuite(pgliteTarget);
