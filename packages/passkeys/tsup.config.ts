import { nodeLibrary } from '../../tsup.node';

export default nodeLibrary();
