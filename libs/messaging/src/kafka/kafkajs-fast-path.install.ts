// Imported before anything loads kafkajs (first import of kafka-bus.ts and of the package index): installs the
// kafkajs fast path early enough for all three of its parts (see kafkajs-fast-path.ts).
import { installKafkajsFastPath } from './kafkajs-fast-path';

installKafkajsFastPath();
