import { hostileSuite } from '../testing/hostile-suite.ts';
import { postgresTarget } from '../testing/targets.ts';

hostileSuite(postgresTarget);
