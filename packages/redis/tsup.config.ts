import { nodeLibrary } from '../../tsup.node';

export default nodeLibrary(['src/index.ts', 'src/passkey-stores.ts']);
