import { adapterSuite } from '@latchkey/adapter-tests';
import { startFastifyApp } from './app';

adapterSuite('Fastify 5', startFastifyApp);
