import { join } from 'node:path';
import { describeParity } from '@zoo/parity/suite';
import '@zoo/metaformer';

describeParity('MetaFormer family (PoolFormer, ConvFormer) matches timm (wasm backend)', join(import.meta.dirname, 'fixtures'), 1);
