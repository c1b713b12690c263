// Rewrites generated parts of README.md: `npx projen docs`.
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { withLifecycleTable } from '../src/lifecycle/version-table';

const path = join(__dirname, '..', 'README.md');
writeFileSync(path, withLifecycleTable(readFileSync(path, 'utf-8')));
console.log('README.md: lifecycle table updated');
