/** Preloaded (`node --require`) into a CLI run by the tests: at exit, writes the process's peak resident memory in
 *  KiB to the file MNIST_TEST_RSS_FILE names, so that a test can hold a refusal to bounded memory. */
import { writeFileSync } from 'node:fs';

const file = process.env.MNIST_TEST_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
