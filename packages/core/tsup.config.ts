import { nodeLibrary } from '../../tsup.node';

export default nodeLibrary([
  'src/index.ts',
  'src/adapter.ts',
  'src/contract.ts',
  'src/audit-cli.ts',
]);
