// TF 'SAME' padding on odd (and non-square) inputs, checked against real timm. Fixtures made with
// ../shared/tools/make_fixtures.py from tooling/parity/cases-odd.json.
import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/efficientnet';

describeParity('TF SAME padding on odd input sizes matches timm', join(import.meta.dirname, 'fixtures-odd'), 2);
