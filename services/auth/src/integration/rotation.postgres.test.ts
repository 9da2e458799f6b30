import { rotationSuite } from '../testing/rotation-suite.ts';
import { postgresTarget } from '../testing/targets.ts';

rotationSuite(postgresTarget);
