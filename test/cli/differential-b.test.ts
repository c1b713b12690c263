import { differentialSuite } from './differential';
import { testCases } from '../adversarial/arbitraries';

// The kubectl differential test (test/cli/differential.ts), shard 2 of 2: the two files run
// on jest's two workers side by side.
differentialSuite(testCases('KUBECTL', { fast: 100, long: 5000 }), 1, 2);
