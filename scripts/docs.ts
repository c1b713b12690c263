// Rewrites the generated parts of README.md: `npx projen docs`.
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { withGeneratedBlocks } from './readme-tables';

const path = join(__dirname, '..', 'README.md');
writeFileSync(path, withGeneratedBlocks(readFileSync(path, 'utf-8')));
console.log('README.md: generated tables updated');
