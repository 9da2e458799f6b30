import { hostileSuite } from '../testing/hostile-suite.ts';
import { pgliteTarget } from '../testing/targets.ts';

hostileSuite(pgliteTarget);
