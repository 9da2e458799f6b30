import { startupSuite } from '../testing/behaviour-suite.ts';

startupSuite();
