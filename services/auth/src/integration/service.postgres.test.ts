import { serviceCredentialsSuite } from '../testing/service-suite.ts';
import { postgresTarget } from '../testing/targets.ts';

serviceCredentialsSuite(postgresTarget);
