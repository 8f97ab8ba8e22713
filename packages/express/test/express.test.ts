import { adapterSuite } from '@latchkey/adapter-tests';
import express5 from 'express';
import express4 from 'express4';
import { expressFactory } from './app';

adapterSuite('Express 5', expressFactory(express5));
adapterSuite('Express 4', expressFactory(express4));
