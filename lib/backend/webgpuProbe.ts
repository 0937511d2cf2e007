/** Run by probeAdapter() (webgpu.ts) as a child process: prints the WebGPU adapter Dawn offers here as one JSON line,
 *  {"adapter": {...}} or {"adapter": null}, or {"error": "..."} when Dawn cannot even load. */
import { requestAdapter } from './webgpu';
import { firstLine } from './system';

requestAdapter().then(
  (adapter) => console.log(JSON.stringify({ adapter: adapter ?? null })),
  (e) => console.log(JSON.stringify({ error: `Dawn failed to load: ${firstLine(e)}` })),
);
