import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** A compute shader of our own, dispatched into tfjs-backend-webgpu's command stream, for what its programs cannot
 *  express: a tfjs program writes one output and reads its inputs only, so a kernel with several outputs (BatchNorm's
 *  mean and variance, the running statistics) took a program each. Ours may write several tensors, and update one in
 *  place. `code` declares `main` with its own @compute and @workgroup_size; the inputs, the outputs (read_write) and
 *  the uniforms (scalars, in a struct named `uniforms`) are declared for it, each array named after its tensor. */
export interface Shader {
  /** Names the compiled pipeline in the cache: one key, one WGSL text. */
  key: string;
  inputs: Record<string, tf.TensorInfo>;
  outputs: Record<string, tf.TensorInfo>;
  uniforms: Record<string, { type: 'i32' | 'f32'; value: number }>;
  workgroups: [number, number, number];
  code: string;
}

/** What we reach of tfjs-backend-webgpu 4.22's encoding state (recordAndSubmit's, which our dispatches mirror). */
interface Encoding {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  activeTimers: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  tensorMap: { get(dataId: object): { dtype: string; resource?: unknown } };
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: { type: string; data: number[] }[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Records one dispatch of `shader` as tfjs records its programs: tensors uploaded, kept from reuse until the queue
 *  is submitted, in the open compute pass, submitted every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, and named
 *  in tf.profile's list of programs (which gives `bench --profile` its dispatch counts). The outputs are made by the
 *  caller (backend.makeTensorInfo) and written here. */
export function runShader(gpu: WebGPUBackend, shader: Shader): void {
  const backend = gpu as unknown as Encoding;
  const tensors = [...Object.values(shader.inputs), ...Object.values(shader.outputs)];
  for (const t of tensors) backend.uploadToGPU(t.dataId);
  const uniforms = backend.makeUniforms(Object.values(shader.uniforms).map(({ type, value }) => ({ type: type === 'i32' ? 'int32' : 'float32', data: [value] })));
  const pipeline = pipelineOf(backend, shader);
  for (const t of tensors) backend.commandQueueOwnedIds.add(t.dataId);
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...tensors.map((t, i) => ({ binding: i, resource: { buffer: bufferOf(gpu, t) } })), { binding: tensors.length, resource: uniforms }],
  });
  backend.ensureCommandEncoderReady();
  const timed = backend.activeTimers != null;
  if (timed) {
    backend.endComputePassEncoder();
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass(backend.supportTimestampQuery ? {
      timestampWrites: { querySet: timestampsOf(backend), beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    } : {});
  }
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(...shader.workgroups);
  backend.dispatchCountInPass++;
  if (timed) {
    // a pass a timed program, as tfjs times its own; without the timestamp feature the query answers 0
    backend.endComputePassEncoder();
    backend.activeTimers!.push({ name: shader.key, query: backend.getQueryTime() });
  } else if ((tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/** Copies `count` float32 or int32 values from one tensor's buffer to another's, as one command of the stream
 *  (no dispatch, no bind group): how a kernel hands out parts of a tensor its shader wrote whole. */
export function copyValues(gpu: WebGPUBackend, from: tf.TensorInfo, fromIndex: number, to: tf.TensorInfo, toIndex: number, count: number): void {
  const backend = gpu as unknown as Encoding;
  backend.uploadToGPU(from.dataId);
  backend.uploadToGPU(to.dataId);
  backend.commandQueueOwnedIds.add(from.dataId);
  backend.commandQueueOwnedIds.add(to.dataId);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.commandEncoder!.copyBufferToBuffer(bufferOf(gpu, from), 4 * fromIndex, bufferOf(gpu, to), 4 * toIndex, 4 * count);
}

/** tfjs's query set for a pass's timestamps, made as its recordAndSubmit makes it. */
function timestampsOf(backend: Encoding): GPUQuerySet {
  backend.querySet ??= backend.device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
  return backend.querySet;
}

/** Writes `values` into a tensor made by backend.makeTensorInfo, in a buffer from tfjs's pool, by the queue's own
 *  write: where tfjs uploads a tensor's values through a new staging buffer each time (mapped at creation, so never
 *  reused), a driver allocation per upload. The queue runs the write before any command recorded after it. */
export function writeValues(gpu: WebGPUBackend, to: tf.TensorInfo, values: Float32Array): void {
  const backend = gpu as unknown as Encoding;
  backend.uploadToGPU(to.dataId);
  backend.device.queue.writeBuffer(bufferOf(gpu, to), 0, values);
}

function bufferOf(gpu: WebGPUBackend, t: tf.TensorInfo): GPUBuffer {
  return (gpu as unknown as Encoding).tensorMap.get(t.dataId).resource as GPUBuffer;
}

function pipelineOf(backend: Encoding, shader: Shader): GPUComputePipeline {
  let cache = pipelines.get(backend.device);
  if (!cache) pipelines.set(backend.device, (cache = new Map()));
  let pipeline = cache.get(shader.key);
  if (!pipeline) {
    const code = wgslOf(backend, shader);
    pipeline = backend.device.createComputePipeline({
      label: shader.key, layout: 'auto', compute: { module: backend.device.createShaderModule({ code, label: shader.key }), entryPoint: 'main' },
    });
    cache.set(shader.key, pipeline);
  }
  return pipeline;
}

/** The bindings' declarations, in runShader's order (inputs, outputs, then the uniforms), then the shader's code. */
function wgslOf(backend: Encoding, shader: Shader): string {
  const array = (t: tf.TensorInfo) => (backend.tensorMap.get(t.dataId).dtype === 'int32' ? 'array<i32>' : 'array<f32>');
  const declared = [
    ...Object.entries(shader.inputs).map(([name, t]) => `var<storage, read> ${name} : ${array(t)};`),
    ...Object.entries(shader.outputs).map(([name, t]) => `var<storage, read_write> ${name} : ${array(t)};`),
  ].map((d, i) => `@group(0) @binding(${i}) ${d}`);
  const fields = Object.entries(shader.uniforms).map(([name, { type }]) => `${name} : ${type},`).join(' ');
  return [
    ...declared,
    `struct Uniforms { ${fields} };`,
    `@group(0) @binding(${declared.length}) var<uniform> uniforms : Uniforms;`,
    shader.code,
  ].join('\n');
}
