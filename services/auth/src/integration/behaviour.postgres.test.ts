import { authBehaviourSuite } from '../testing/behaviour-suite.ts';
import { postgresTarget } from '../testing/targets.ts';

authBehaviourSuite(postgresTarget);
