import { authBehaviourSuite } from '../testing/behaviour-suite.ts';
import { pgliteTarget } from '../testing/targets.ts';

authBehaviourSuite(pgliteTarget);
