// Imported first by bench/ingest.ts: installs the kafkajs fast path before anything loads kafkajs, when asked.
import { installKafkajsFastPath } from './kafkajs-fast-path';

if (process.argv.includes('--fast-path')) installKafkajsFastPath();
