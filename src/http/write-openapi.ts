// `npm run openapi`: writes the generated OpenAPI document to docs/openapi.json (a test fails while the committed file differs).
import { writeFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { openApiText } from './openapi.js';

const target = packagePath('docs/openapi.json');
writeFileSync(target, openApiText());
process.stdout.write(`wrote ${target}\n`);
