import { rotationSuite } from '../testing/rotation-suite.ts';
import { pgliteTarget } from '../testing/targets.ts';

rotationSuite(pgliteTarget);
